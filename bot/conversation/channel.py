"""The one way the core talks back during a turn (as Slack Bolt hands a handler ``say``/``respond``).

Each door that speaks in messages implements ``ReplyChannel``: Teams (a stream in personal chats, a
placeholder and a final message elsewhere), the terminal chat, ``aarhusai ask``. The core calls
``progress`` once when a question starts, ``update`` with the answer so far, ``notify`` for lines
outside the answer (a file's progress), and ``send`` once with the final reply; it attaches the id
``send`` returns to the stored answer itself, so feedback on that message finds it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from bot.conversation.types import Reply
from bot.errors import AarhusAIError, Outcome


class ReplyChannel(Protocol):
    update_every_s: float  # the answer so far is worth sending this often, no more (Teams: once a second)

    async def progress(self, text: str) -> str | None:
        """Show that a question is being answered; the id the final answer will carry, when the
        door knows it already (a Teams stream), else None."""

    async def update(self, text: str) -> None:
        """The answer so far, already made safe. Raises ``AnswerStopped`` when it must end now."""

    async def notify(self, text: str) -> None:
        """A line of its own, outside the answer."""

    async def send(self, reply: Reply) -> str | None:
        """Deliver the final reply; the id of the message that carries it, when there is one."""


class AnswerStopped(AarhusAIError):
    """Raised by ``ReplyChannel.update`` when the answer must end now: the reader pressed Stop
    (``by_reader``: the door sends nothing more), or the door's time for one answer ran out (the
    final reply still goes, with what was written so far). The core stops the model at once and
    keeps the answer; it never reaches a user as an error."""

    outcome = Outcome.DONE

    def __init__(self, by_reader: bool) -> None:
        super().__init__("stopped by the reader" if by_reader else "out of time")
        self.by_reader = by_reader
        self.key = "answer_stopped" if by_reader else "answer_cut"


Sink = Callable[[str], Awaitable[None]]


@dataclass
class Collected:
    """A channel that keeps what the core said, for doors that print the reply themselves
    (``aarhusai ask``, the tests), optionally passing the answer so far and the notices on."""

    on_text: Sink | None = None
    on_notice: Sink | None = None
    update_every_s: float = 0.2
    progress_texts: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)

    async def progress(self, text: str) -> str | None:
        self.progress_texts.append(text)
        return None

    async def update(self, text: str) -> None:
        if self.on_text is not None:
            await self.on_text(text)

    async def notify(self, text: str) -> None:
        self.notices.append(text)
        if self.on_notice is not None:
            await self.on_notice(text)

    async def send(self, reply: Reply) -> str | None:
        self.replies.append(reply)
        return None
