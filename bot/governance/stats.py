"""Usage statistics. The municipality measures success by whether people come back, and a Builder
improves a specialist from what people wrote: the 👎 comments and the questions it could not answer
(the latest few, personal data masked)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from sqlmodel import col, func, select

from bot.llm.pii import find_pii
from bot.store import Database
from bot.store.models import Feedback, Message


@dataclass
class Usage:
    days: int
    questions: int = 0
    users: int = 0
    returning_7: int = 0
    returning_30: int = 0
    no_answer_share: float = 0.0
    likes: int = 0
    dislikes: int = 0
    top_unanswered: list[tuple[str, int]] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)  # the latest 👎 with a comment, newest first
    latest_unanswered: list[str] = field(default_factory=list)  # newest first


@dataclass(frozen=True)
class Comment:
    """What someone wrote with a 👎, and the question it was about; both masked."""

    text: str
    question: str
    at: datetime


LATEST = 5  # comments and unanswered questions shown
SHOWN_CHARS = 200  # of each


def returning(days_by_user: dict[str, set[date]], window: int) -> int:
    """Users who asked again on a later day within ``window`` days of an earlier question."""
    count = 0
    for days in days_by_user.values():
        ordered = sorted(days)
        if any(0 < (b - a).days <= window for a, b in pairwise(ordered)):
            count += 1
    return count


def masked(question: str) -> str:
    """A question as shown to a Builder: user text, so every personal-data finding is replaced by a
    marker naming its kind."""
    for finding in reversed(find_pii(question)):
        question = f"{question[: finding.start]}[{finding.kind}]{question[finding.end :]}"
    return question


def shown(text: str, limit: int = SHOWN_CHARS) -> str:
    """User text for a Builder's eyes: masked as written (joining lines first could split a value the
    detector reads whole), then one line of at most ``limit`` characters."""
    text = " ".join(masked(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def comment_text(raw: str) -> str:
    """Teams' feedback form sends its text as JSON (``{"feedbackText": "..."}``); older rows and other
    doors hold plain text."""
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return str(value.get("feedbackText") or "") if isinstance(value, dict) else raw


def usage(
    db: Database, specialists: Collection[str] | None = None, days: int = 30, now: datetime | None = None
) -> Usage:
    """Usage of ``specialists`` (slugs; ``None``: every specialist, an empty list: none)."""
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    if specialists is not None and not specialists:
        return Usage(days=days)
    with db.session() as s:
        query = select(
            Message.id, Message.user_id, Message.created_at, Message.outcome, Message.question
        ).where(Message.created_at >= since)
        if specialists is not None:
            query = query.where(col(Message.specialist).in_(list(specialists)))
        rows = s.exec(query).all()
        ids = [r[0] for r in rows]
        votes = (
            dict(
                s.exec(
                    select(Feedback.reaction, func.count())
                    .where(col(Feedback.message_id).in_(ids))
                    .group_by(Feedback.reaction)
                ).all()
            )
            if ids
            else {}
        )
        disliked = (
            s.exec(
                select(Feedback.text, Feedback.created_at, Message.question)
                .join(Message, col(Message.id) == col(Feedback.message_id))
                .where(col(Feedback.message_id).in_(ids), Feedback.reaction == "dislike", Feedback.text != "")
                .order_by(col(Feedback.created_at).desc(), col(Feedback.id).desc())
                .limit(LATEST * 10)
            ).all()
            if ids
            else []
        )
    result = Usage(
        days=days, questions=len(rows), likes=votes.get("like", 0), dislikes=votes.get("dislike", 0)
    )
    days_by_user: dict[str, set[date]] = defaultdict(set)
    for _id, user, created, _outcome, _question in rows:
        days_by_user[user].add(created.date())
    result.users = len(days_by_user)
    result.returning_7 = returning(days_by_user, 7)
    result.returning_30 = returning(days_by_user, 30)
    # masked as written, then normalised: joining lines first could split a value the detector reads whole
    unanswered = [
        " ".join(masked(q).lower().split()) for _i, _u, _c, outcome, q in rows if outcome == "no_answer"
    ]
    result.no_answer_share = len(unanswered) / len(rows) if rows else 0.0
    result.top_unanswered = Counter(unanswered).most_common(5)
    newest = sorted((r for r in rows if r[3] == "no_answer"), key=lambda r: (r[2], r[0]), reverse=True)
    result.latest_unanswered = [shown(r[4]) for r in newest[:LATEST]]
    for text, at, question in disliked:
        comment = comment_text(text).strip()
        if comment and len(result.comments) < LATEST:
            result.comments.append(Comment(shown(comment), shown(question, 80), at))
    return result
