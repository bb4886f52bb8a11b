"""Everything a question needs from the database, read in one round trip.

A question used to cost a trip each for the conversation's selection, its specialist, the asker's
roles, the specialist's screening, its current prompt and the conversation's history. Here they are
one ``SELECT``: the specialist the conversation (or its channel) chose, else the general assistant,
with the rest as correlated scalar subqueries. The roles and the history come back as JSON arrays
(``json_agg`` on PostgreSQL, ``json_group_array`` on SQLite), the only part that differs by database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, String, Text, column, text

from bot.domain import GENERAL_SLUG, channel_of
from bot.store import Database
from bot.store.models import Specialist


@dataclass(frozen=True)
class TurnContext:
    """What one question needs: its specialist and, as of the same instant, the rest."""

    spec: Specialist
    prompt: str | None  # the current prompt version's text (None: the specialist has none)
    screening: tuple[str, bool] | None  # (data categories, public sources); None: not screened
    roles: tuple[tuple[str, int], ...]  # (role, department id) of the asker
    history: tuple[tuple[str, str], ...]  # the last answered (question, answer) here, oldest first


def _json_rows(value: Any) -> list[list[Any]]:
    if value is None:
        return []
    return json.loads(value) if isinstance(value, str) else list(value)


class TurnContextStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        postgres = db.engine.dialect.name == "postgresql"
        agg, array = ("json_agg", "json_build_array") if postgres else ("json_group_array", "json_array")
        table = Specialist.__table__  # type: ignore[attr-defined]
        self._spec_columns = list(table.columns)
        names = ", ".join(f"specialists.{c.name}" for c in self._spec_columns)
        sql = f"""
            SELECT {names},
              (SELECT p.text FROM prompt_versions p WHERE p.specialist_id = specialists.id
                ORDER BY p.version DESC LIMIT 1) AS prompt,
              (SELECT c.data_categories FROM screenings c
                WHERE c.specialist_id = specialists.id) AS categories,
              (SELECT c.public_sources FROM screenings c WHERE c.specialist_id = specialists.id) AS public,
              (SELECT {agg}({array}(r.role, r.department_id)) FROM role_assignments r
                WHERE r.user_id IN (:user, :alias1, :alias2, :alias3)) AS roles,
              (SELECT {agg}({array}(h.id, h.question, h.answer)) FROM
                (SELECT m.id, m.question, m.answer FROM messages m
                  WHERE m.conversation_id = :conversation AND m.outcome = 'answered'
                    AND m.specialist = specialists.slug
                  ORDER BY m.id DESC LIMIT :turns) h) AS history
            FROM specialists
            WHERE specialists.id = COALESCE(
              (SELECT specialist_id FROM selections WHERE conversation_id = :conversation),
              (SELECT specialist_id FROM selections WHERE conversation_id = :channel),
              (SELECT id FROM specialists WHERE slug = :general))
        """
        self._query = text(sql).columns(
            *self._spec_columns,
            column("prompt", Text),
            column("categories", String),
            column("public", Boolean),
            column("roles", Text),
            column("history", Text),
        )

    def load(
        self, conversation_id: str, user_id: str, history_turns: int, aliases: tuple[str, ...] = ()
    ) -> TurnContext | None:
        """The context of a question asked in ``conversation_id`` by ``user_id``; None when not even
        the general assistant exists (a database nobody migrated). A role given to one of the asker's
        ``aliases`` (Teams id, UPN: ``/rolle tildel`` by mention or e-mail) counts as theirs."""
        ids = list(dict.fromkeys(a.casefold() if "@" in a else a for a in aliases))[:3]
        params = {
            **{f"alias{n}": ids[n - 1] if n <= len(ids) else user_id for n in (1, 2, 3)},
            "conversation": conversation_id,
            "channel": channel_of(conversation_id),  # None matches nothing ('' would: a choice made under '')
            "general": GENERAL_SLUG,
            "user": user_id,
            "turns": max(history_turns, 0),
        }
        with self.db.statement() as connection:  # one statement, its own transaction: one round trip
            row = connection.execute(self._query, params).mappings().first()
        if row is None:
            return None
        spec = Specialist(**{c.name: row[c.name] for c in self._spec_columns})
        history = sorted(_json_rows(row["history"]), key=lambda r: r[0])
        categories = row["categories"]
        return TurnContext(
            spec=spec,
            prompt=row["prompt"],
            screening=None if categories is None else (categories, bool(row["public"])),
            roles=tuple((str(r), int(d)) for r, d in _json_rows(row["roles"])),
            history=tuple((str(q), str(a)) for _id, q, a in history),
        )
