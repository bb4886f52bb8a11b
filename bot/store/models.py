"""SQLModel tables. The types are the schema; migrations in ``migrations/versions`` follow them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Conversation(SQLModel, table=True):
    """A Teams conversation: a personal chat, a group chat, or one channel thread.

    The id is Teams' conversation id; for a channel thread it includes ``;messageid=<root>``, so
    every thread is its own conversation and memory never crosses threads.
    """

    __tablename__ = "conversations"

    id: str = Field(primary_key=True, max_length=512)
    channel_id: str = Field(default="msteams", max_length=64)
    conversation_type: str = Field(default="personal", max_length=32)
    tenant_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False)
    )


class Message(SQLModel, table=True):
    """One question and the bot's answer: who asked, when, which specialist, which model."""

    __tablename__ = "messages"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(foreign_key="conversations.id", index=True, max_length=512)
    user_id: str = Field(index=True, max_length=256)
    user_name: str | None = Field(default=None, max_length=256)
    activity_id: str | None = Field(default=None, max_length=256)
    specialist: str = Field(default="assistent", max_length=128)
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(sa_column=Column(Text, nullable=False))
    model: str | None = Field(default=None, max_length=128)
    outcome: str = Field(default="answered", max_length=32)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), index=True, nullable=False)
    )
