"""Engine and sessions for SQLite (embedded default) and PostgreSQL (production, tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
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


@dataclass
class _Unit:
    """One open ``Database.transaction``: its connection, and what runs once it has ended."""

    db: Database
    connection: Connection
    checks: list[Callable[[], None]] = field(default_factory=list)
    after: list[Callable[[], None]] = field(default_factory=list)


_UNIT: ContextVar[_Unit | None] = ContextVar("aarhusai_db_unit", default=None)


class Database:
    """Owns the engine; hands out short-lived sessions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _make_engine(url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        unit = self._unit()
        if unit is not None:  # inside ``transaction``: a commit here is not the end of it
            with Session(
                bind=unit.connection, expire_on_commit=False, join_transaction_mode="rollback_only"
            ) as joined:
                yield joined
            return
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def statement(self) -> Iterator[Connection]:
        """A connection for one self-contained statement: no BEGIN before it and no COMMIT after it
        (the statement is its own transaction), so it costs one round trip to PostgreSQL. Inside
        ``transaction`` it joins that instead."""
        unit = self._unit()
        if unit is not None:
            yield unit.connection
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            yield connection

    def _unit(self) -> _Unit | None:
        unit = _UNIT.get()
        return unit if unit is not None and unit.db is self else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing: every session opened inside (in this task, and the threads it starts with
        ``asyncio.to_thread``) joins one transaction, committed when the block ends and rolled back if
        it raises. Nested blocks join the outer one."""
        if self._unit() is not None:
            yield
            return
        with self.engine.connect() as connection:
            unit = _Unit(self, connection)
            token = _UNIT.set(unit)
            try:
                with connection.begin():
                    yield
                    while unit.checks:  # in order; a check that raises rolls everything back
                        unit.checks.pop(0)()
            finally:
                _UNIT.reset(token)
                for later in unit.after:
                    later()

    def before_commit(self, check: Callable[[], None]) -> None:
        """Run ``check`` at the end of the enclosing ``transaction``, inside it, else now: a rule about
        the whole result (it may raise, and nothing is committed)."""
        unit = self._unit()
        if unit is None:
            check()
        else:
            unit.checks.append(check)

    def after_transaction(self, later: Callable[[], None]) -> None:
        """Run ``later`` once the enclosing ``transaction`` has ended (committed or not), else now:
        what must not see, or be lost with, uncommitted rows (index files, audits of a refusal)."""
        unit = self._unit()
        if unit is None:
            later()
        else:
            unit.after.append(later)

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
