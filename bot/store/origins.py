"""The hosts of a specialist's own web connections (its answers may link to them); a connected
document's URL and date come with its passages (``bot.rag.retrieval``)."""

from __future__ import annotations

from sqlmodel import select

from bot.hosts import parse
from bot.store.db import Database
from bot.store.models import Connection


def connected_hosts(db: Database, specialist_id: int) -> list[str]:
    """Hosts of the specialist's own web connections: its answers may link there (another
    department's connected intranet is not this specialist's business)."""
    with db.statement() as connection:  # one statement, no BEGIN/ROLLBACK around it
        targets = (
            connection.execute(
                select(Connection.target).where(
                    Connection.kind == "web", Connection.specialist_id == specialist_id
                )
            )
            .scalars()
            .all()
        )
    return sorted({p.hostname for t in targets if (p := parse(t)) is not None and p.hostname})
