"""Chat clients' own background tasks, recognised so they are not answered as questions.

Open WebUI asks the chat's model for a title, tags and follow-up questions after each exchange, with
fixed prompt shapes (``backend/open_webui/config.py``, ``DEFAULT_*_GENERATION_PROMPT_TEMPLATE``): a
``### Task:`` header, the instruction, a JSON output format and the chat in ``<chat_history>`` as
``USER: …`` / ``ASSISTANT: …`` lines. Sent to a specialist they would be retrieved for, cited, counted
and stored as questions (a chat's title became a 400-character cited answer). Recognised here, they get
the JSON the client parses: a title of the first question (written by a model cleared for the
specialist's data, through the router, or else its first words), and empty tags and follow-ups.
Anything that does not match every part of a shape is a question like any other.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import StrEnum

MAX_TITLE_WORDS = 5
MAX_TITLE_CHARS = 60

_TASK_HEADER = re.compile(r"^\s*###\s*Task:", re.IGNORECASE)
_HISTORY = re.compile(r"<chat_history>(.*?)</chat_history>", re.DOTALL)
_ROLE_LINE = re.compile(r"^(USER|ASSISTANT|SYSTEM):\s?", re.MULTILINE)
_SENTENCE_END = re.compile(r"[.?!:;\n]")


class ClientTask(StrEnum):
    TITLE = "title"
    TAGS = "tags"
    FOLLOW_UPS = "follow_ups"


# the instruction and the JSON key each shape asks for (the wording of several Open WebUI releases)
_SHAPES: tuple[tuple[ClientTask, re.Pattern[str], str], ...] = (
    (ClientTask.TITLE, re.compile(r"Generate a concise(, 3-5 word)? title", re.IGNORECASE), '"title"'),
    (ClientTask.TAGS, re.compile(r"Generate 1-3 broad tags", re.IGNORECASE), '"tags"'),
    (
        ClientTask.FOLLOW_UPS,
        re.compile(r"Suggest 3-5 relevant follow-up questions", re.IGNORECASE),
        '"follow_ups"',
    ),
)


@dataclass(frozen=True)
class Recognised:
    task: ClientTask
    history: str  # what the client put in <chat_history>

    def first_question(self) -> str:
        """The first ``USER:`` turn of the history (empty if there is none)."""
        parts = _ROLE_LINE.split(self.history)
        # split gives ["before", role, text, role, text, ...]
        for role, text in zip(parts[1::2], parts[2::2], strict=False):
            if role == "USER" and text.strip():
                return text.strip()
        return ""


def recognise(text: str) -> Recognised | None:
    """The client task ``text`` asks for, or None for a question."""
    if not _TASK_HEADER.match(text):
        return None
    history = _HISTORY.search(text)
    if history is None:
        return None
    head = text[: history.start()]
    for task, instruction, key in _SHAPES:
        if instruction.search(head) and key in head:
            return Recognised(task, history.group(1))
    return None


def title_from(question: str) -> str:
    """A short title: the first sentence of the question, its first words, without end punctuation."""
    first = _SENTENCE_END.split(question.strip(), maxsplit=1)[0]
    words = first.split()[:MAX_TITLE_WORDS]
    title = " ".join(words).strip(" \"'«»`*_#")
    if len(title) > MAX_TITLE_CHARS:
        title = title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0] or title[:MAX_TITLE_CHARS]
    return title[:1].upper() + title[1:]


_MARKUP = re.compile(r"[\[\]()*_#`\"'«»{}<>|]")


def clean_title(written: str) -> str:
    """A model's title as a title: its first line, no markup or quotes, at most ``MAX_TITLE_CHARS``."""
    line = next((ln for ln in written.strip().splitlines() if ln.strip()), "")
    line = " ".join(_MARKUP.sub(" ", line).split()).rstrip(" .:;")
    if len(line) > MAX_TITLE_CHARS:
        line = line[:MAX_TITLE_CHARS].rsplit(" ", 1)[0]
    return line


def reply(found: Recognised, title: str) -> str:
    """The JSON the client parses (``title``: for a title task)."""
    if found.task == ClientTask.TITLE:
        return json.dumps({"title": title}, ensure_ascii=False)
    if found.task == ClientTask.TAGS:
        return json.dumps({"tags": []})
    return json.dumps({"follow_ups": []})
