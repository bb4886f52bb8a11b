"""The general assistant: answers without sources, through the routed model, with memory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from bot.llm import ChatModel
from bot.store import Message

ChunkSink = Callable[[str], Awaitable[None]]

SYSTEM_PROMPT = {
    "da": (
        "Du er AarhusAI, en hjælpsom assistent for medarbejdere i Aarhus Kommune. Svar på dansk, "
        "kort og præcist. Du har ingen adgang til kommunens dokumenter i denne samtale; sig det, hvis "
        "spørgsmålet kræver dem, og find aldrig på regler, paragraffer eller kilder."
    ),
    "en": (
        "You are AarhusAI, a helpful assistant for employees of Aarhus Municipality. Answer briefly "
        "and precisely. You have no access to the municipality's documents in this conversation; say "
        "so when a question needs them, and never invent rules, sections or sources."
    ),
}

CHARS_PER_TOKEN = 4  # conservative estimate for budgeting history without a tokenizer


def build_messages(
    question: str, history: Sequence[Message], locale: str, max_context: int, max_output: int
) -> list[BaseMessage]:
    """System prompt, as much recent history as fits the model's context, then the question."""
    system = SYSTEM_PROMPT.get(locale, SYSTEM_PROMPT["da"])
    budget = (max_context - max_output) * CHARS_PER_TOKEN - len(system) - len(question)
    kept: list[BaseMessage] = []
    for msg in reversed(history):
        cost = len(msg.question) + len(msg.answer)
        if cost > budget:
            break
        budget -= cost
        kept[:0] = [HumanMessage(msg.question), AIMessage(msg.answer)]
    return [SystemMessage(system), *kept, HumanMessage(question)]


async def answer(
    model: ChatModel,
    question: str,
    history: Sequence[Message],
    locale: str,
    on_chunk: ChunkSink | None = None,
) -> str:
    """Ask ``model``; stream chunks to ``on_chunk`` when given. Raises ``ModelError``."""
    messages = build_messages(question, history, locale, model.spec.max_context, model.spec.max_output_tokens)
    if on_chunk is None:
        return await model.complete(messages)
    parts: list[str] = []
    async for chunk in model.stream(messages):
        parts.append(chunk)
        await on_chunk(chunk)
    return "".join(parts)
