"""Logging set-up shared by the CLI commands."""

from __future__ import annotations

import logging

# Loud in local mode for reasons that do not apply to us (no app id is the point of local mode).
_QUIET = ("microsoft_agents.hosting.core.connector.client.user_token_client",)


def configure(level: str = "INFO") -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.ERROR)
    for name in (
        "httpx",
        "openai._base_client",
        "alembic",
        "microsoft_agents.hosting.core.authorization",
        "bm25s",
        "sentence_transformers",
        "transformers",
        "faiss",
    ):
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))
