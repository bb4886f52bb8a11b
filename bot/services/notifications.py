"""Notifications: telling a person something without their asking, and never losing it.

``notify`` writes one outbox row per recipient in the caller's transaction (the approval request and
its notification commit together, or neither). A door's sender (``bot.teams.notify``) claims due rows,
posts them into the recipient's personal chat with the bot and reports back (``sent``/``failed``). A
recipient who has never written to the bot cannot be reached: their row waits until they do. The
message is rendered when it is sent, in the language the recipient last wrote in (else the
installation's). Where each person can be reached is remembered as they write (``to_remember`` decides
from a cache whether a turn's claim should store it; ``bot.services.delivery`` does so in the same
round trip).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.conversation.types import Reach
from bot.messages import MESSAGES, t
from bot.replica import replica_id
from bot.services.base import Service, Stores
from bot.store.models import Notification
from bot.store.outbox import OutboxStore, person_key

log = logging.getLogger(__name__)

CACHE_SIZE = 10_000  # people whose personal chat this process knows is stored as it is
Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class Button:
    """A card button that runs a command as the recipient (``/godkend <slug>``)."""

    title_key: str  # the button's title, from the catalogue
    command: str
    args: str = ""


@dataclass(frozen=True)
class Note:
    """What to tell: a catalogue message and its values (plain values, stored as JSON and rendered in
    the recipient's language when sent; their markup is removed), or literal Markdown the caller has
    already made safe, with buttons."""

    key: str = ""
    values: dict[str, Scalar] = field(default_factory=dict)
    text: str = ""
    buttons: tuple[Button, ...] = ()
    topic: str = ""  # what it is about (``approval.requested``)
    subject: str = ""  # the thing it names (a specialist's slug)
    card: dict[str, Any] | None = None  # a ready card (its texts already in the recipient's language)


@dataclass(frozen=True)
class Notified:
    """Who was written to: ``reachable`` will get it when the sender next runs; ``waiting`` have not
    written to the bot yet and get it once they do."""

    reachable: tuple[str, ...]
    waiting: tuple[str, ...]


@dataclass(frozen=True)
class Outgoing:
    """A claimed notification, rendered for its recipient, and where to post it."""

    id: int
    recipient: str
    text: str
    card: dict[str, Any] | None
    attempts: int
    conversation_id: str
    service_url: str
    tenant_id: str | None
    bot_id: str | None
    locale: str


class NotificationService(Service):
    def __init__(self, stores: Stores) -> None:
        super().__init__(stores)
        self.outbox = OutboxStore(stores.db)
        self._known: OrderedDict[str, Reach] = OrderedDict()
        self._listeners: list[Callable[[], None]] = []

    # -- where people are reached ------------------------------------------------------------------
    def to_remember(self, reach: Reach | None) -> Reach | None:
        """``reach`` when it should be stored (new or changed since this process last stored it), else
        None: the hot path writes only then. Called on the event loop."""
        if reach is None or not reach.people:
            return None
        return None if self._known.get(reach.people[0]) == reach else reach

    def remembered(self, reach: Reach) -> None:
        """``reach`` is stored: cache it, and wake the sender (rows waiting for this person are due)."""
        key = reach.people[0]
        new = key not in self._known
        self._known[key] = reach
        self._known.move_to_end(key)
        while len(self._known) > CACHE_SIZE:
            self._known.popitem(last=False)
        if new:
            self._wake()

    def reachable(self, people: Iterable[str]) -> bool:
        """Whether a person known by any of ``people`` can be written to now (has a personal chat)."""
        keys = [p for p in people if p and p.strip()]
        return bool(keys) and bool(self.outbox.locales(keys))

    # -- writing -----------------------------------------------------------------------------------
    def notify(self, recipients: Iterable[str], note: Note) -> Notified:
        """One outbox row per distinct recipient, in the enclosing transaction (if any). Returns who can
        be reached now and who waits until they write to the bot."""
        if note.key and note.key not in MESSAGES:
            raise ValueError(f"unknown message key {note.key!r}")
        values = dict(note.values)
        if not all(v is None or isinstance(v, str | int | float | bool) for v in values.values()):
            raise ValueError("a notification's values are plain (stored as JSON, rendered when sent)")
        people = list(dict.fromkeys(person_key(r) for r in recipients if r and r.strip()))
        if not people:
            return Notified((), ())
        buttons = [{"title_key": b.title_key, "command": b.command, "args": b.args} for b in note.buttons]
        repeated = self.outbox.unsent(people, note.topic, note.subject) if note.topic else set()
        self.outbox.add(
            Notification(
                recipient=person,
                topic=note.topic[:64],
                subject=note.subject[:512],
                key=note.key,
                values=json.dumps(values, ensure_ascii=False),
                text=note.text,
                buttons=json.dumps(buttons, ensure_ascii=False),
                card=json.dumps(note.card, ensure_ascii=False) if note.card else "",
            )
            for person in people
            if person not in repeated  # one waiting message per person and thing is enough
        )
        self.stores.db.after_transaction(self._wake)  # the sender looks at once (after the commit)
        known = self.outbox.locales(people)
        return Notified(tuple(p for p in people if p in known), tuple(p for p in people if p not in known))

    # -- sending (a door's sender) -------------------------------------------------------------------
    def on_new(self, listener: Callable[[], None]) -> Callable[[], None]:
        """``listener`` is called (from any thread) when a notification may have become due."""
        self._listeners.append(listener)
        return listener

    def off_new(self, listener: Callable[[], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _wake(self) -> None:
        for listener in self._listeners:
            try:
                listener()
            except Exception:  # the sender's loop may be closed; its interval still finds the rows
                log.debug("notification listener failed", exc_info=True)

    async def claim_due(self, limit: int = 20) -> list[Outgoing]:
        """Due notifications of reachable recipients, claimed by this replica and rendered for them."""
        lease = self.settings.notify_lease_s
        due = await asyncio.to_thread(self.outbox.claim, replica_id(), limit, lease)
        return [
            Outgoing(
                id=d.id,
                recipient=d.recipient,
                text=text,
                card=card,
                attempts=d.attempts,
                conversation_id=d.conversation_id,
                service_url=d.service_url,
                tenant_id=d.tenant_id,
                bot_id=d.bot_id,
                locale=d.locale,
            )
            for d in due
            for text, card in [render(d.key, d.values, d.text, d.buttons, d.locale, d.card)]
        ]

    async def sent(self, notification_id: int) -> None:
        await asyncio.to_thread(self.outbox.sent, notification_id, replica_id())

    async def failed(self, outgoing: Outgoing, error: str) -> float | None:
        """The send failed: tried again after a pause that doubles with each attempt (returned), or
        given up on after ``AARHUSAI_NOTIFY_ATTEMPTS`` (None; the row keeps its last error)."""
        settings = self.settings
        if outgoing.attempts >= settings.notify_attempts:
            log.warning(
                "notification %s to %s given up after %d attempts: %s",
                outgoing.id,
                outgoing.recipient,
                outgoing.attempts,
                error,
            )
            await asyncio.to_thread(self.outbox.failed, outgoing.id, error, None)
            return None
        pause = min(settings.notify_retry_s * 2 ** (outgoing.attempts - 1), 3600.0)
        pause = random.uniform(pause / 2, pause)  # replicas that failed together do not retry together
        log.info("notification %s failed (attempt %d): %s", outgoing.id, outgoing.attempts, error)
        await asyncio.to_thread(self.outbox.failed, outgoing.id, error, pause)
        return pause

    def of(self, topic: str = "", subject: str = "") -> list[Notification]:
        """The outbox rows about ``topic``/``subject``: for operators and tests."""
        return self.outbox.of(topic, subject)


def render(
    key: str,
    values: dict[str, Any],
    text: str,
    buttons: list[dict[str, Any]],
    locale: str,
    card: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any] | None]:
    """A stored notification as its text and card in ``locale``. Values are plain text set into the
    catalogue's Markdown: a name cannot bring a link, an image or emphasis to the person it is sent to.
    A ready ``card`` (a hand-off's answer form) is sent as it was written."""
    if card:
        return (t(key, locale, **values) if key in MESSAGES else text), card
    plain = {k: _plain(v) if isinstance(v, str) else v for k, v in values.items()}
    shown = t(key, locale, **plain) if key in MESSAGES else text
    shown_buttons = [
        {
            "title": t(b["title_key"], locale) if b.get("title_key") in MESSAGES else str(b.get("command")),
            "command": str(b.get("command") or ""),
            "args": str(b.get("args") or ""),
        }
        for b in buttons
        if isinstance(b, dict) and b.get("command")
    ]
    if not shown_buttons:
        return shown, None
    return shown, {"type": "notice", "text": shown, "buttons": shown_buttons}


_MARKUP = str.maketrans("", "", "[]<>*_`\\|!")


def _plain(value: str) -> str:
    """A value as it may stand inside Markdown: on one line, without the characters that make links,
    images, HTML, emphasis, code or tables."""
    return " ".join(value.translate(_MARKUP).split())[:200]
