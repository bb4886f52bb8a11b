"""Follow-up questions: the prompt that asks the specialist's cleared model to rewrite the last question
of a conversation into one that stands alone, and the check of what it wrote.

"Hvor lang tid tager det?" after a question about passports finds nothing when searched alone. With a
model connected, the answering service sends the conversation's recent questions (and the start of the
last answer), personal data blanked, through the router on the turn's own plan; the rewritten question
is what retrieval searches. Without a model, or when the rewrite fails or is unusable, retrieval leans
on the previous question itself (``Retriever.search_in_conversation``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from bot.conversation.types import Exchange
from bot.rag.lexical import tokenize

REWRITE_TURNS = 2  # the exchanges a rewrite sees: a follow-up leans on the last one or two
ANSWER_CHARS = 400  # the start of the last answer: what "det" refers to is usually named early
MAX_QUESTION_CHARS = 500  # a rewrite longer than this is not a question

INSTRUCTIONS = {
    "da": (
        "Du omskriver spørgsmål til en søgning i kildedokumenter. Omskriv brugerens sidste spørgsmål, så "
        "det kan forstås uden samtalen: erstat ord som 'det', 'den' og 'de' med det, de henviser til, og "
        "tilføj emnet fra samtalen, hvis spørgsmålet mangler det. Handler spørgsmålet om noget nyt, så "
        "gentag det uændret. Svar ikke på spørgsmålet. Skriv kun det omskrevne spørgsmål på én linje, på "
        "samme sprog som brugerens sidste spørgsmål."
    ),
    "en": (
        "You rewrite questions for a search in source documents. Rewrite the user's last question so "
        "that it can be understood without the conversation: replace words such as 'it', 'that' and "
        "'they' with what they refer to, and add the topic from the conversation if the question lacks "
        "it. If the question is about something new, repeat it unchanged. Do not answer the question. "
        "Write only the rewritten question on one line, in the language of the user's last question."
    ),
}
LABELS = {
    "da": ("Samtalen", "Bruger", "Assistent", "Brugerens sidste spørgsmål"),
    "en": ("The conversation", "User", "Assistant", "The user's last question"),
}


def rewrite_messages(history: Sequence[Exchange], question: str, locale: str) -> list[BaseMessage]:
    """The rewrite request: instructions, the last ``REWRITE_TURNS`` exchanges (each answer cut to
    its start) and the question. The caller blanks personal data first."""
    lang = "en" if locale == "en" else "da"
    title, user, assistant, last = LABELS[lang]
    lines = [f"{title}:"]
    for exchange in history[-REWRITE_TURNS:]:
        answer = exchange.answer.strip()
        if len(answer) > ANSWER_CHARS:
            answer = answer[:ANSWER_CHARS].rsplit(" ", 1)[0] + " …"
        lines += [f"{user}: {exchange.question.strip()}", f"{assistant}: {answer}"]
    lines += ["", f"{last}: {question.strip()}"]
    return [SystemMessage(INSTRUCTIONS[lang]), HumanMessage("\n".join(lines))]


_LABEL = re.compile(
    r"^\s*(?:omskrevet spørgsmål|omskrevet|spørgsmål|rewritten question|question)\s*:\s*", re.I
)


def standalone(raw: str, question: str, history: Sequence[Exchange]) -> str | None:
    """The model's rewrite as a search query, or None when it is unusable: empty, too long, or
    sharing no word with the question or the recent questions (a model that answered, or wrote
    something else, must not steer the search)."""
    lines = [line.strip() for line in raw.strip().splitlines() if line.strip()]
    if not lines:
        return None
    text = _LABEL.sub("", lines[0]).strip().strip("\"'«»“”").strip()
    if not text or len(text) > MAX_QUESTION_CHARS:
        return None
    asked = [question, *(h.question for h in history[-REWRITE_TURNS:])]
    known = {t for words in tokenize(asked) for t in words}
    if not known & set(tokenize([text])[0]):
        return None
    return text
