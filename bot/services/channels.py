"""Per-channel behaviour (``/kanal``): the channel's default specialist and whether the bot answers
only when @mentioned (the default) or every new post (a question channel).

Who may change it: an administrator, or whoever may edit the specialist that answers in the channel
(a Builder or owner of its department). Anyone in the channel may see it. Seeing a post without an
@mention needs Teams' resource-specific consent (``ChannelMessage.Read.Group``); ``listens`` decides
whether such a post is answered at all, so a channel that was not set up stays quiet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.conversation.types import ConversationRef
from bot.domain import AppError, AuditAction, Outcome, Status, channel_of
from bot.governance import access
from bot.governance.roles import UserRoles
from bot.services.actor import Actor
from bot.services.base import Service, offloop
from bot.store.db import Database
from bot.store.models import ChannelSetting, Selection, Specialist, utcnow


@dataclass(frozen=True)
class ChannelView:
    """A channel's settings as ``/kanal`` shows them."""

    channel_id: str
    specialist: Specialist  # the default: the channel's choice, else the general assistant
    chosen: bool  # a default specialist was set for the channel (not the general assistant by default)
    answer_all: bool  # a question channel: every new post is answered
    set_by: str | None  # who changed it last
    set_at: datetime | None
    may_change: bool  # the asker may change it


class ChannelStore:
    """The ``channel_settings`` rows. Blocking: call it from a worker thread."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, channel_id: str) -> ChannelSetting | None:
        with self.db.session() as s:
            return s.get(ChannelSetting, channel_id)

    def set_answer_all(self, channel_id: str, answer_all: bool, actor: str) -> None:
        with self.db.session() as s:
            row = s.get(ChannelSetting, channel_id) or ChannelSetting(channel_id=channel_id, set_by=actor)
            row.answer_all, row.set_by, row.set_at = answer_all, actor, utcnow()
            s.add(row)
            s.commit()

    def selection(self, channel_id: str) -> Selection | None:
        with self.db.session() as s:
            return s.get(Selection, channel_id)


def channel_key(conv: ConversationRef) -> str:
    """The channel a message was written in, whatever thread it is in."""
    return channel_of(conv.id) or conv.id


def is_new_post(conv: ConversationRef, activity_id: str | None) -> bool:
    """A post that starts a thread (Teams names the thread after its first post: ``;messageid=<id>``),
    not a reply inside one."""
    _base, sep, root = conv.id.partition(";messageid=")
    return not sep or (activity_id is not None and root == activity_id)


class ChannelsService(Service):
    @property
    def store(self) -> ChannelStore:
        return ChannelStore(self.stores.db)

    def _channel(self, actor: Actor) -> str:
        conv = actor.conversation
        if conv is None or conv.type != "channel":
            raise AppError(Outcome.PRECONDITION, "channel_only")
        return channel_key(conv)

    @staticmethod
    def _may_change(roles: UserRoles, spec: Specialist) -> bool:
        """An administrator, or who may edit the specialist answering there (its department's
        Builders and owners): an employee cannot make a channel answer with someone else's work."""
        return roles.is_admin or access.can_edit(roles, spec)

    def view(self, actor: Actor) -> ChannelView:
        channel = self._channel(actor)
        store = self.store
        chosen = store.selection(channel)
        spec = self.stores.specialists.selected(channel)
        setting = store.get(channel)
        when = [(x.set_at, x.set_by) for x in (chosen, setting) if x is not None]
        set_at, set_by = max(when, key=lambda w: w[0]) if when else (None, None)
        return ChannelView(
            channel_id=channel,
            specialist=spec,
            chosen=chosen is not None,
            answer_all=bool(setting and setting.answer_all),
            set_by=set_by,
            set_at=set_at,
            may_change=self._may_change(self.roles(actor), spec),
        )

    def set_specialist(self, actor: Actor, ref: str) -> ChannelView:
        """Make ``ref`` the channel's default specialist (``/kanal specialist X``, ``/brug X kanal``)."""
        channel = self._channel(actor)
        if not ref.strip():
            raise AppError(Outcome.INVALID, "use_which")
        spec = self.stores.specialists.require(ref)
        roles = self.roles(actor)
        if not access.can_use(roles, spec, actor.conversation_id):
            key = "draft_only_builders" if spec.status != Status.PUBLISHED else "not_shared_with_you"
            raise AppError(Outcome.FORBIDDEN, key, name=spec.name)
        if not self._may_change(roles, spec):
            raise AppError(Outcome.FORBIDDEN, "channel_needs_builder", name=spec.name)
        # a channel someone set up is changed only by who may change the specialist answering there now:
        # another department's Builder may not take it over with their own specialist
        # (a choice whose specialist was deleted binds no one)
        if (chosen := self.store.selection(channel)) is not None:
            current = self.stores.specialists.selected(channel)
            held = current.id == chosen.specialist_id
            if held and current.id != spec.id and not self._may_change(roles, current):
                raise AppError(Outcome.FORBIDDEN, "channel_needs_builder", name=current.name)
        self.stores.specialists.select(channel, spec.id, actor.id)  # type: ignore[arg-type]
        self.audit(actor, AuditAction.CHANNEL_CHANGED, channel, specialist=spec.slug)
        return self.view(actor)

    def set_answer_all(self, actor: Actor, answer_all: bool) -> ChannelView:
        """A question channel (every new post answered) or back to @mentions only. Whoever may change
        the specialist answering there may decide how often it answers."""
        channel = self._channel(actor)
        spec = self.stores.specialists.selected(channel)
        if not self._may_change(self.roles(actor), spec):
            raise AppError(Outcome.FORBIDDEN, "channel_needs_builder", name=spec.name)
        self.store.set_answer_all(channel, answer_all, actor.id)
        self.audit(actor, AuditAction.CHANNEL_CHANGED, channel, answer_all=answer_all)
        return self.view(actor)

    def listens(self, conv: ConversationRef, activity_id: str | None, mentioned: bool) -> bool:
        """Whether a message is for the bot: anything that @mentions it, anything outside a channel,
        and in a question channel every new post (not the replies in its threads)."""
        if mentioned or conv.type != "channel":
            return True
        if not is_new_post(conv, activity_id):
            return False
        setting = self.store.get(channel_key(conv))
        return bool(setting and setting.answer_all)

    aview = offloop(view)
    aset_specialist = offloop(set_specialist)
    aset_answer_all = offloop(set_answer_all)
    alistens = offloop(listens)
