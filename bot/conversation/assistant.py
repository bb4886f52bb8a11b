"""Talking to a routed model: build the general assistant's messages and stream or complete them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from bot.llm import ChatModel

ChunkSink = Callable[[str], Awaitable[None]]

CHARS_PER_TOKEN = 4  # conservative estimate for budgeting history without a tokenizer


@dataclass(frozen=True)
class Exchange:
    """One earlier question and answer, as the model will see it (possibly with placeholders)."""

    question: str
    answer: str


def build_messages(
    system: str, question: str, history: Sequence[Exchange], max_context: int, max_output: int
) -> list[BaseMessage]:
    """System prompt, as much recent history as fits the model's context, then the question."""
    budget = (max_context - max_output) * CHARS_PER_TOKEN - len(system) - len(question)
    kept: list[BaseMessage] = []
    for msg in reversed(history):
        cost = len(msg.question) + len(msg.answer)
        if cost > budget:
            break
        budget -= cost
        kept[:0] = [HumanMessage(msg.question), AIMessage(msg.answer)]
    return [SystemMessage(system), *kept, HumanMessage(question)]


async def generate(model: ChatModel, messages: list[BaseMessage], on_chunk: ChunkSink | None = None) -> str:
    """Ask ``model``; stream chunks to ``on_chunk`` when given. Raises ``ModelError``."""
    if on_chunk is None:
        return await model.complete(messages)
    parts: list[str] = []
    async for chunk in model.stream(messages):
        parts.append(chunk)
        await on_chunk(chunk)
    return "".join(parts)
