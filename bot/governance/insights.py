"""What a Builder should fix, read from the database: the questions a specialist could not answer and
the answers people gave a 👎 (with their reason), grouped into themes, and the figures of the report
(questions per day, returning users, answered / no source / 👎 shares, feedback by reason).

Question texts leave here masked (``stats.shown``); they are embedded in-process by the bundled
embedder (never sent to a model) and grouped by ``bot.governance.themes``. Reads take the slugs the
caller may see (``bot.services.insights`` decides); nothing here checks permissions.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import numpy as np
from sqlmodel import col, select

from bot.governance import stats, themes
from bot.store import Database
from bot.store.models import Feedback, Message

WEEK = timedelta(days=7)
NO_SOURCE = "no_answer"
ANSWERED = ("answered", "sources_only")
NO_REASON = ""  # a 👎 without a reason (the default Teams form, or older rows)
SHOWN_QUESTIONS = 50  # per theme, in the report and "see the questions"
LABEL_CHARS = 120


@dataclass(frozen=True)
class Item:
    """One question that went wrong: unanswered from the sources, or answered and given a 👎."""

    message_id: int
    specialist: str
    question: str  # masked, one line
    at: datetime
    no_source: bool
    disliked: bool
    reasons: tuple[str, ...] = ()


@dataclass
class Theme:
    """Questions alike in meaning; named by the most central one (a real, masked question)."""

    label: str
    message_id: int  # the central question's message: what the card's buttons name
    count: int  # this week
    before: int  # the week before
    no_source: int = 0
    disliked: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    questions: list[str] = field(default_factory=list)  # newest first, distinct, masked
    message_ids: list[int] = field(default_factory=list)

    @property
    def change(self) -> int:
        return self.count - self.before

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "count": self.count,
            "last_week": self.before,
            "change": self.change,
            "no_source": self.no_source,
            "disliked": self.disliked,
            "reasons": self.reasons,
            "questions": self.questions,
        }


@dataclass
class SpecialistThemes:
    slug: str
    name: str
    themes: list[Theme]

    @property
    def count(self) -> int:
        return sum(t.count for t in self.themes)

    @property
    def before(self) -> int:
        return sum(t.before for t in self.themes)


@dataclass
class Figures:
    """The report's figures over ``days`` (and ``/statistik``'s extra line)."""

    days: int
    questions: int = 0
    users: int = 0
    returning_7: int = 0
    returning_30: int = 0
    answered: int = 0
    no_source: int = 0
    disliked: int = 0
    liked: int = 0
    per_day: list[tuple[date, int]] = field(default_factory=list)
    reasons: dict[str, int] = field(default_factory=dict)  # 👎 by reason ("" = none given)

    def share(self, part: int) -> float:
        return part / self.questions if self.questions else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "questions": self.questions,
            "users": self.users,
            "returning_users": {"within_7_days": self.returning_7, "within_30_days": self.returning_30},
            "outcomes": {
                "answered": self.answered,
                "no_source": self.no_source,
                "other": self.questions - self.answered - self.no_source,
            },
            "shares": {
                "answered": round(self.share(self.answered), 4),
                "no_source": round(self.share(self.no_source), 4),
                "disliked": round(self.share(self.disliked), 4),
            },
            "feedback": {"like": self.liked, "dislike": self.disliked},
            "feedback_by_reason": self.reasons,
            "questions_per_day": [{"date": d.isoformat(), "questions": n} for d, n in self.per_day],
        }


# -- reasons ---------------------------------------------------------------------------------------
def reasons_of(stored: object, text: str) -> tuple[str, ...]:
    """The reasons of one 👎, read defensively: a ``reason`` column where the feedback store has one
    (a string, a JSON list or comma-separated), else a ``reason``/``reasons`` key in the JSON Teams'
    form sent as the text; none when neither says."""
    found: list[str] = []
    if isinstance(stored, str) and stored.strip():
        found = _split(stored)
    elif isinstance(stored, list | tuple):
        found = [str(r) for r in stored]
    if not found and text.lstrip().startswith("{"):
        try:
            value = json.loads(text)
        except ValueError:
            value = None
        if isinstance(value, dict):
            raw = value.get("reasons", value.get("reason"))
            if isinstance(raw, str):
                found = _split(raw)
            elif isinstance(raw, list):
                found = [str(r) for r in raw]
    cleaned = (" ".join(r.split()).casefold()[:40] for r in found)
    return tuple(dict.fromkeys(r for r in cleaned if r))


def _split(raw: str) -> list[str]:
    raw = raw.strip()
    if raw.startswith("["):
        try:
            value = json.loads(raw)
        except ValueError:
            value = None
        if isinstance(value, list):
            return [str(r) for r in value]
    return raw.split(",")


def _reason_column() -> Any:
    """The feedback store's reason column, when it has one (added with the custom feedback form)."""
    return getattr(Feedback, "reason", None) or getattr(Feedback, "reasons", None)


# -- reading ---------------------------------------------------------------------------------------
def _scoped(query: Any, specialists: Collection[str] | None) -> Any:
    return query if specialists is None else query.where(col(Message.specialist).in_(list(specialists)))


def items(
    db: Database, specialists: Collection[str] | None, since: datetime, until: datetime | None = None
) -> list[Item]:
    """The questions that went wrong between ``since`` and ``until``, newest first, one per message."""
    if specialists is not None and not specialists:
        return []
    until = until or datetime.now(UTC)
    reason = _reason_column()
    with db.session() as s:
        unanswered = s.exec(
            _scoped(
                select(Message.id, Message.specialist, Message.question, Message.created_at).where(
                    Message.outcome == NO_SOURCE,
                    col(Message.created_at) >= since,
                    col(Message.created_at) < until,
                ),
                specialists,
            )
        ).all()
        columns = [Message.id, Message.specialist, Message.question, Message.created_at, Feedback.text]
        disliked = s.exec(
            _scoped(
                select(*columns, *([reason] if reason is not None else []))
                .join(Feedback, col(Feedback.message_id) == col(Message.id))
                .where(
                    Feedback.reaction == "dislike",
                    col(Message.created_at) >= since,
                    col(Message.created_at) < until,
                ),
                specialists,
            )
        ).all()
    found: dict[int, Item] = {}
    for message_id, slug, question, at in unanswered:
        found[message_id] = Item(message_id, slug, stats.shown(question), _utc(at), True, False)
    for row in disliked:
        message_id, slug, question, at, text = row[:5]
        why = reasons_of(row[5] if len(row) > 5 else None, text or "")
        earlier = found.get(message_id)
        if earlier is None:
            found[message_id] = Item(message_id, slug, stats.shown(question), _utc(at), False, True, why)
        else:
            merged = tuple(dict.fromkeys((*earlier.reasons, *why)))
            found[message_id] = Item(
                message_id, slug, earlier.question, earlier.at, earlier.no_source, True, merged
            )
    return sorted(found.values(), key=lambda i: (i.at, i.message_id), reverse=True)


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite gives naive datetimes back


def figures(
    db: Database, specialists: Collection[str] | None, days: int = 30, now: datetime | None = None
) -> Figures:
    now = now or datetime.now(UTC)
    result = Figures(days=days)
    if specialists is not None and not specialists:
        return result
    since = now - timedelta(days=days)
    reason = _reason_column()
    with db.session() as s:
        rows = s.exec(
            _scoped(
                select(Message.id, Message.user_id, Message.created_at, Message.outcome).where(
                    col(Message.created_at) >= since
                ),
                specialists,
            )
        ).all()
        votes = s.exec(
            _scoped(
                select(Feedback.reaction, Feedback.text, *([reason] if reason is not None else []))
                .join(Message, col(Message.id) == col(Feedback.message_id))
                .where(col(Message.created_at) >= since),
                specialists,
            )
        ).all()
    per_day: Counter[date] = Counter()
    days_by_user: dict[str, set[date]] = defaultdict(set)
    for _id, user, at, outcome in rows:
        day = _utc(at).date()
        per_day[day] += 1
        days_by_user[user].add(day)
        result.answered += outcome in ANSWERED
        result.no_source += outcome == NO_SOURCE
    result.questions = len(rows)
    result.users = len(days_by_user)
    result.returning_7 = stats.returning(days_by_user, 7)
    result.returning_30 = stats.returning(days_by_user, 30)
    first = (now - timedelta(days=days - 1)).date()
    result.per_day = [(first + timedelta(days=n), per_day[first + timedelta(days=n)]) for n in range(days)]
    reasons: Counter[str] = Counter()
    for row in votes:
        if row[0] == "like":
            result.liked += 1
        elif row[0] == "dislike":
            result.disliked += 1
            for why in reasons_of(row[2] if len(row) > 2 else None, row[1] or "") or (NO_REASON,):
                reasons[why] += 1
    # most given first; on a tie a named reason before none, then by name (stable for readers and tests)
    result.reasons = dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0] == NO_REASON, kv[0])))
    return result


# -- themes ----------------------------------------------------------------------------------------
class QueryEncoder(Protocol):
    """What themes need of an embedder (``bot.rag.embeddings.Embedder``): questions as query vectors."""

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...


def themes_of(found: Sequence[Item], embedder: QueryEncoder, now: datetime) -> list[Theme]:
    """Themes of one specialist's items of the last two weeks, most asked this week first (the
    embedder's query cache spares a weekly digest and the next ``/indsigt`` embedding them again)."""
    recent = [i for i in found if i.at >= now - 2 * WEEK][: themes.MAX_ITEMS]
    if not recent:
        return []
    vectors = embedder.encode_queries([i.question for i in recent])
    result = []
    for members in themes.group(vectors):
        centre = recent[themes.central(members, vectors)]
        chosen = [recent[m] for m in members]  # newest first (``recent`` is)
        reasons: Counter[str] = Counter(r for i in chosen if i.disliked for r in i.reasons)
        label = (
            centre.question
            if len(centre.question) <= LABEL_CHARS
            else centre.question[: LABEL_CHARS - 1] + "…"
        )
        result.append(
            Theme(
                label=label,
                message_id=centre.message_id,
                count=sum(i.at >= now - WEEK for i in chosen),
                before=sum(i.at < now - WEEK for i in chosen),
                no_source=sum(i.no_source for i in chosen),
                disliked=sum(i.disliked for i in chosen),
                reasons=dict(reasons.most_common()),
                questions=list(dict.fromkeys(i.question for i in chosen))[:SHOWN_QUESTIONS],
                message_ids=[i.message_id for i in chosen],
            )
        )
    return sorted(result, key=lambda t: (-t.count, -t.before, t.label))
