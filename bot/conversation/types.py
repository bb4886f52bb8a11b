"""Plain values that cross the boundary between a door (Teams, the terminal chat) and the dispatcher."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

ConversationType = Literal["personal", "groupChat", "channel"]
ReplyKind = Literal["answer", "command", "notice", "error"]


@dataclass(frozen=True)
class User:
    id: str
    name: str | None = None
    aad_object_id: str | None = None
    upn: str | None = None  # userPrincipalName, when the channel sends it


@dataclass(frozen=True)
class ConversationRef:
    """Where a message was written. For a channel thread ``id`` includes ``;messageid=<root>``."""

    id: str
    type: ConversationType = "personal"
    tenant_id: str | None = None
    channel_id: str = "msteams"  # the Bot Framework channel, not a Teams channel
    # a Teams channel's team and channel (``channelData``), checked where the activity is read: the
    # team's Entra group id (a GUID, what Microsoft Graph names the team by) and the channel's thread id
    team_group_id: str | None = None
    teams_channel_id: str | None = None


@dataclass(frozen=True)
class IncomingFile:
    """A file sent with a message. ``fetch(max_bytes)`` downloads it (raising ``IngestError``)."""

    name: str
    fetch: Callable[[int], Awaitable[bytes]]
    content_type: str | None = None


@dataclass(frozen=True)
class Incoming:
    text: str
    user: User
    conversation: ConversationRef
    activity_id: str | None = None
    locale: str = "da"
    files: tuple[IncomingFile, ...] = ()
    form: dict[str, Any] | None = None  # values of a submitted card (Action.Submit)
    unsupported_files: tuple[str, ...] = ()  # names of attachments the channel cannot deliver to a bot
    mentions: tuple[tuple[str, str], ...] = ()  # (display name, person id) of each @mentioned person
    place: Reach | None = None  # where this conversation can be written to later (hand-off answers)
    # the message @mentions the bot: always so in a channel, unless the app may read every post there
    # (resource-specific consent) and the channel is a question channel (``/kanal svar alle``)
    mentioned: bool = True

    @property
    def user_key(self) -> str:
        """The stable id of the sender: the Entra object id when Teams sends one."""
        return self.user.aad_object_id or self.user.id


@dataclass(frozen=True)
class Exchange:
    """One earlier question and answer, as a model will see it."""

    question: str
    answer: str


@dataclass(frozen=True)
class Citation:
    """A numbered source passage; ``n`` matches the ``[n]`` marker in the answer text."""

    n: int
    source: str
    text: str
    page: int | None = None
    score: float | None = None
    heading: str | None = None
    chunk_id: int | None = None  # the stored passage (a stable link to it: ``GET /v1/passages/<id>``)
    url: str | None = None  # a connected document: where a person opens it
    modified: str | None = None  # a connected document's own last-modified date (YYYY-MM-DD)


@dataclass
class Reply:
    text: str
    kind: ReplyKind = "answer"
    citations: list[Citation] = field(default_factory=list)
    card: dict[str, Any] | None = None
    model: str | None = None
    generated: bool = False  # True when a language model wrote the text (the "AI generated" label)
    message_id: int | None = None  # the stored exchange, for feedback and full passages
    byline: str | None = None  # which model wrote it and where it runs, in the reader's language
    label: Label | None = None  # what data the specialist may see (Teams: a sensitivity label)
    locale: str = "da"  # the reader's language, for what the door adds (a citation's page label)
    # questions to offer with the reply (a specialist's prompt starters, follow-ups after an answer):
    # Teams shows them as buttons that ask the question, where it can (personal chats)
    suggestions: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Label:
    """The specialist's data classification as people read it (Teams shows it as a sensitivity label)."""

    name: str
    description: str


@dataclass(frozen=True)
class Reach:
    """Where a person can be messaged without writing first: their personal chat with the bot, as a
    message of theirs there named it (a door builds it only from a checked activity)."""

    people: tuple[str, ...]  # the ids they go by: their stable id (Entra object id) first
    conversation_id: str
    service_url: str
    tenant_id: str | None = None
    bot_id: str | None = None
    locale: str = "da"
