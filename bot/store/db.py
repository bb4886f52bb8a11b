"""Engine and sessions for SQLite (embedded default) and PostgreSQL (production, tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=5000")
            cur.close()

        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # Use psycopg 3 (installed) rather than SQLAlchemy's psycopg2 default.
        url = str(parsed.set(drivername="postgresql+psycopg"))
    # No ping before every checkout (it doubled the round trips of a turn): a connection the server
    # dropped fails one statement, is discarded by the pool, and the next checkout gets a fresh one.
    return create_engine(url, pool_size=10, max_overflow=10, pool_recycle=1800)


class Database:
    """Owns the engine; hands out short-lived sessions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _make_engine(url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
