"""API keys for case systems: created by administrators, stored as a hash, scoped to named specialists
and a classification ceiling. Blocking (sessions): the application services call it from a thread.

A key looks like ``aai_<43 url-safe characters>`` (256 random bits). Only its SHA-256 is stored; it is
looked up by that hash, so a wrong key costs one indexed read and reveals nothing about the others.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.domain import AppError, Classification, Outcome, Status
from bot.store import Database
from bot.store.models import ApiKey, Specialist

KEY_PREFIX = "aai_"
MAX_KEY_CHARS = 128  # anything longer is not one of ours; never hashed


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ApiScope:
    """What a key may reach: the specialists it names, never one above its ceiling, published only."""

    key: str  # the key's name
    specialists: frozenset[str]
    ceiling: Classification
    per_minute: int | None = None  # None: the configured default

    def allows(self, spec: Specialist) -> bool:
        if spec.slug not in self.specialists or spec.status != Status.PUBLISHED:
            return False
        level = Classification.parse(spec.classification)
        return level is not None and self.ceiling.allows(level)


def scope_of(key: ApiKey) -> ApiScope:
    ceiling = Classification.parse(key.max_classification) or Classification.OFFENTLIG
    return ApiScope(
        key.name, frozenset(json.loads(key.specialists or "[]")), ceiling, key.requests_per_minute
    )


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands datetimes back naive; they were written in UTC."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class ApiKeyStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self,
        name: str,
        specialists: list[str],
        ceiling: Classification,
        created_by: str,
        expires_at: datetime | None = None,
        requests_per_minute: int | None = None,
    ) -> tuple[ApiKey, str]:
        """The new key and its secret (shown once, never stored)."""
        secret = new_secret()
        row = ApiKey(
            name=name,
            key_hash=hash_secret(secret),
            prefix=secret[:10],
            specialists=json.dumps(sorted(set(specialists))),
            max_classification=ceiling.value,
            requests_per_minute=requests_per_minute,
            created_by=created_by,
            expires_at=expires_at,
        )
        with self.db.session() as s:
            s.add(row)
            try:
                s.commit()
            except IntegrityError:
                raise AppError(Outcome.CONFLICT, "apikey_exists", name=name) from None
            s.refresh(row)
        return row, secret

    def keys(self) -> list[ApiKey]:
        with self.db.session() as s:
            rows = list(s.exec(select(ApiKey).order_by(col(ApiKey.name))).all())
        for row in rows:
            row.expires_at, row.revoked_at = _aware(row.expires_at), _aware(row.revoked_at)
            row.created_at, row.last_used_at = _aware(row.created_at), _aware(row.last_used_at)  # type: ignore[assignment]
        return rows

    def get(self, name: str) -> ApiKey | None:
        with self.db.session() as s:
            return s.exec(select(ApiKey).where(ApiKey.name == name)).first()

    def revoke(self, name: str) -> bool:
        """True when the key was live until now."""
        with self.db.session() as s:
            row = s.exec(select(ApiKey).where(ApiKey.name == name)).first()
            if row is None:
                raise AppError(Outcome.NOT_FOUND, "apikey_unknown", name=name)
            if row.revoked_at is not None:
                return False
            row.revoked_at = datetime.now(UTC)
            s.add(row)
            s.commit()
            return True

    def live(self, secret: str, now: datetime | None = None) -> ApiKey | None:
        """The key ``secret`` belongs to, if it exists, is not revoked and has not expired."""
        if not secret.startswith(KEY_PREFIX) or len(secret) > MAX_KEY_CHARS:
            return None
        now = now or datetime.now(UTC)
        with self.db.session() as s:
            row = s.exec(select(ApiKey).where(ApiKey.key_hash == hash_secret(secret))).first()
            if row is None or row.revoked_at is not None:
                return None
            expires = _aware(row.expires_at)
            if expires is not None and expires <= now:
                return None
            last = _aware(row.last_used_at)
            if last is None or (now - last).total_seconds() > 60:  # one write a minute, not one a call
                row.last_used_at = now
                s.add(row)
                s.commit()
                s.refresh(row)
            return row
