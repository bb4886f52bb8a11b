"""The application layer: every business rule, permission check and audit event lives here.

Each service method takes an ``Actor``, checks the permission through ``bot.governance.access``,
writes its own audit event and returns typed data (or raises ``bot.domain.AppError`` with an outcome
and a message key). The doors — Teams commands, the CLI, skills-as-code, the API — translate their
input, call one method, and render the result in the user's language; they add or skip no rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
from bot.services.about import AboutService
from bot.services.actor import SKILLS_SYNC, SYSTEM, Actor
from bot.services.answering import Answer, AnsweringService, Question
from bot.services.base import Stores
from bot.services.channels import ChannelsService
from bot.services.connections import ConnectionsService
from bot.services.delivery import DeliveryService
from bot.services.evaluation import EvaluationService
from bot.services.feedback import FeedbackService, StatsService
from bot.services.handoffs import HandoffService
from bot.services.insights import InsightsService
from bot.services.integrations import IntegrationsService
from bot.services.notifications import NotificationService
from bot.services.publishing import PublishingService
from bot.services.roles import RolesService
from bot.services.sources import SourcesService
from bot.services.specialists import SpecialistsService
from bot.services.verified import VerifiedService


@dataclass
class Application:
    """The services the doors call. The stores below them are private (``_stores``): a door gets what
    it needs from a service method or one of the read-only properties here."""

    _stores: Stores
    specialists: SpecialistsService
    publishing: PublishingService
    sources: SourcesService
    roles: RolesService
    answering: AnsweringService
    feedback: FeedbackService
    stats: StatsService
    integrations: IntegrationsService
    evaluation: EvaluationService
    delivery: DeliveryService
    notifications: NotificationService
    insights: InsightsService
    handoffs: HandoffService
    verified: VerifiedService
    channels: ChannelsService
    about: AboutService
    connections: ConnectionsService

    @property
    def settings(self) -> Settings:
        return self._stores.settings

    @property
    def default_locale(self) -> str:
        """The installation's language (``AARHUSAI_LOCALE``), for a caller that names none."""
        return self._stores.settings.locale

    @property
    def default_model(self) -> str | None:
        """The catalogue's default model (``None``: no model connected), as ``/hjælp`` names it."""
        return self._stores.router.catalogue.default

    @classmethod
    def build(cls, stores: Stores) -> Application:
        notifications = NotificationService(stores)
        answering = AnsweringService(stores, notifications)
        evaluation = EvaluationService(stores, answering)
        handoffs = HandoffService(stores, notifications)
        sources = SourcesService(stores)
        return cls(
            stores,
            SpecialistsService(stores, notifications),
            PublishingService(stores, notifications),
            sources,
            RolesService(stores),
            answering,
            FeedbackService(stores),
            StatsService(stores),
            IntegrationsService(stores, answering),
            evaluation,
            DeliveryService(stores, notifications),
            notifications,
            InsightsService(stores, notifications, evaluation),
            handoffs,
            VerifiedService(stores, handoffs),
            ChannelsService(stores),
            AboutService(stores),
            ConnectionsService(stores, sources, notifications),
        )


__all__ = ["SKILLS_SYNC", "SYSTEM", "Actor", "Answer", "Application", "Question", "Stores"]
