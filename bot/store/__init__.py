"""Persistence: SQLModel tables, the engine, and Alembic migrations (SQLite and PostgreSQL)."""

from bot.store.db import Database
from bot.store.models import Conversation, Message

__all__ = ["Conversation", "Database", "Message"]
