"""Who is asking: every application-service method takes an ``Actor``, and audits under its id."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Literal

from bot.conversation.types import ConversationRef, Incoming
from bot.governance.apikeys import ApiScope

ActorKind = Literal["user", "cli", "skills-sync", "api", "system"]


@dataclass(frozen=True)
class Actor:
    """``id`` is what the audit log records: an Entra object id, ``cli:<os user>``, ``skills-sync``,
    ``api:<key name>``. ``aliases`` are further ids an administrator may be listed by (Teams id, UPN).
    ``conversation`` is where the request was written (team sharing and selection depend on it)."""

    id: str
    kind: ActorKind = "user"
    aliases: tuple[str, ...] = ()
    conversation: ConversationRef | None = None
    locale: str = "da"
    scope: ApiScope | None = None  # kind "api": what its key may reach
    name: str | None = None  # the display name the channel gave, for messages to others

    @property
    def shown(self) -> str:
        """How others are told who acted: the display name, else the id."""
        return " ".join((self.name or "").split())[:100] or self.id

    @classmethod
    def from_incoming(cls, incoming: Incoming) -> Actor:
        user = incoming.user
        aliases = tuple(a for a in (user.id, user.aad_object_id, user.upn) if a and a != incoming.user_key)
        return cls(
            incoming.user_key,
            "user",
            aliases,
            incoming.conversation,
            incoming.locale,
            name=incoming.user.name,
        )

    @classmethod
    def cli(cls, os_user: str | None = None, locale: str = "da") -> Actor:
        """The operator at the server's shell: holds the database credentials, so acts as administrator
        (still bound by the governance steps, which only ``--force --reason`` overrides, audited)."""
        return cls(f"cli:{os_user or _os_user()}", "cli", locale=locale)

    @classmethod
    def api(cls, scope: ApiScope, locale: str = "da") -> Actor:
        """A case system's key: its conversation (for the stored exchanges) is the key's own."""
        conversation = ConversationRef(id=f"api:{scope.key}", channel_id="api")
        return cls(f"api:{scope.key}", "api", conversation=conversation, locale=locale, scope=scope)

    @property
    def conversation_id(self) -> str:
        return self.conversation.id if self.conversation else f"{self.kind}:{self.id}"


SKILLS_SYNC = Actor("skills-sync", "skills-sync")
SYSTEM = Actor("system", "system")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "ukendt"
