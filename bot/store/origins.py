"""Where a connected document lives: its URL and last-modified date on the citations that quote it,
and the hosts of every web connection (answers may link to them)."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import col, select

from bot.conversation.types import Citation
from bot.hosts import parse
from bot.store.db import Database
from bot.store.models import Connection, Source, Specialist


def with_origins(db: Database, spec: Specialist, citations: list[Citation]) -> list[Citation]:
    """``citations`` with the URL and modified date of the connected documents they quote (one query)."""
    names = {c.source for c in citations}
    if not names or spec.id is None:
        return citations
    with db.session() as s:
        rows = s.exec(
            select(Source.name, Source.url, Source.modified).where(
                Source.specialist_id == spec.id, col(Source.name).in_(names), col(Source.url).is_not(None)
            )
        ).all()
    found = {r[0]: (r[1], f"{r[2]:%Y-%m-%d}" if r[2] else None) for r in rows}
    return [
        replace(c, url=found[c.source][0], modified=found[c.source][1]) if c.source in found else c
        for c in citations
    ]


def connected_hosts(db: Database, specialist_id: int) -> list[str]:
    """Hosts of the specialist's own web connections: its answers may link there (another
    department's connected intranet is not this specialist's business)."""
    with db.session() as s:
        targets = s.exec(
            select(Connection.target).where(
                Connection.kind == "web", Connection.specialist_id == specialist_id
            )
        ).all()
    return sorted({p.hostname for t in targets if (p := parse(t)) is not None and p.hostname})
