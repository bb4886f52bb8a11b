"""Logging set-up shared by the CLI commands: text for a terminal, JSON lines for a log collector.

Every record carries the replica (host:pid) and the turn it belongs to (``turn_id``, set where a
turn starts), so the lines of one answer can be followed across a fleet of replicas.
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from bot.replica import replica_id

# Loud in local mode for reasons that do not apply to us (no app id is the point of local mode).
_QUIET = ("microsoft_agents.hosting.core.connector.client.user_token_client",)
# Libraries that log every request or send at INFO: only their warnings are worth a line per turn.
_WARNINGS_ONLY = (
    "httpx",
    "openai._base_client",
    "alembic",
    "microsoft_agents.hosting.core.authorization",
    "microsoft_agents.hosting.core.connector",
    "microsoft_agents.hosting.core.app",
    "microsoft_agents.hosting.aiohttp",
    "bm25s",
    "sentence_transformers",
    "transformers",
    "faiss",
    "mcp",
)

_turn: contextvars.ContextVar[str] = contextvars.ContextVar("turn_id", default="")


@contextmanager
def turn(turn_id: str) -> Iterator[None]:
    """Everything logged inside (in this task and the tasks it starts) names this turn."""
    token = _turn.set(turn_id)
    try:
        yield
    finally:
        _turn.reset(token)


class _Context(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.replica = replica_id()
        record.turn = _turn.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line; message and exception as text, never the arguments' objects."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "replica": getattr(record, "replica", ""),
        }
        if getattr(record, "turn", ""):
            entry["turn"] = record.turn
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(_Context())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.ERROR)
    for name in _WARNINGS_ONLY:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
