"""Conversation memory, kept in the database: each conversation (or channel thread) on its own."""

from __future__ import annotations

import json
from dataclasses import asdict

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.conversation.types import Citation, ConversationRef
from bot.store.db import Database
from bot.store.models import Conversation, Feedback, Message, Welcome


def _conversation_row(conv: ConversationRef) -> Conversation:
    return Conversation(
        id=conv.id, channel_id=conv.channel_id, conversation_type=conv.type, tenant_id=conv.tenant_id
    )


class ConversationStore:
    """Records exchanges and reads back the recent ones. Blocking: call it from a worker thread."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
        self,
        conv: ConversationRef,
        user_id: str,
        question: str,
        answer: str,
        *,
        model: str | None,
        outcome: str,
        user_name: str | None = None,
        activity_id: str | None = None,
        specialist: str = "assistent",
        citations: list[Citation] | None = None,
        route: str = "{}",
        reply_id: str | None = None,
    ) -> Message:
        message = Message(
            conversation_id=conv.id,
            user_id=user_id,
            user_name=user_name,
            activity_id=activity_id,
            specialist=specialist,
            question=question,
            answer=answer,
            model=model,
            outcome=outcome,
            citations=json.dumps([asdict(c) for c in citations or []], ensure_ascii=False),
            route=route,
            reply_activity_id=reply_id,
        )
        if self.db.engine.dialect.name == "postgresql":
            return self._record_postgres(conv, message)
        with self.db.session() as session:
            if session.get(Conversation, conv.id) is None:
                session.add(_conversation_row(conv))
                try:
                    session.commit()
                except IntegrityError:  # created meanwhile by a concurrent message
                    session.rollback()
            session.add(message)
            session.commit()
            return message

    def _record_postgres(self, conv: ConversationRef, message: Message) -> Message:
        """The conversation (if new) and the message in one statement: one round trip per answer."""
        row = _conversation_row(conv)
        columns = [c for c in Message.__table__.columns if c.name != "id"]  # type: ignore[attr-defined]
        params = {f"m_{c.name}": getattr(message, c.name) for c in columns}
        params |= {
            "c_id": row.id,
            "c_channel": row.channel_id,
            "c_type": row.conversation_type,
            "c_tenant": row.tenant_id,
            "c_created": row.created_at,
        }
        names = ", ".join(c.name for c in columns)
        values = ", ".join(f":m_{c.name}" for c in columns)
        statement = text(
            "WITH c AS (INSERT INTO conversations (id, channel_id, conversation_type, tenant_id, created_at) "
            "VALUES (:c_id, :c_channel, :c_type, :c_tenant, :c_created) ON CONFLICT (id) DO NOTHING) "
            f"INSERT INTO messages ({names}) VALUES ({values}) RETURNING id"
        )
        with self.db.statement() as connection:
            message.id = connection.execute(statement, params).scalar_one()
        return message

    def history(self, conversation_id: str, limit: int, specialist: str = "assistent") -> list[Message]:
        """The last ``limit`` answered exchanges with ``specialist`` here, oldest first."""
        if limit <= 0:
            return []
        with self.db.session() as session:
            rows = session.exec(
                select(Message)
                .where(
                    Message.conversation_id == conversation_id,
                    Message.outcome == "answered",
                    Message.specialist == specialist,
                )
                .order_by(col(Message.id).desc())
                .limit(limit)
            ).all()
        return list(reversed(rows))

    def last_cited(self, conversation_id: str) -> list[Citation]:
        """The citations of the latest answer here that had any (for ``/kilde <n>``)."""
        with self.db.session() as session:
            row = session.exec(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.citations != "[]")
                .order_by(col(Message.id).desc())
            ).first()
        return [Citation(**c) for c in json.loads(row.citations)] if row else []

    def set_reply_id(self, message_id: int, activity_id: str) -> None:
        with self.db.session() as session:
            row = session.get(Message, message_id)
            if row is not None:
                row.reply_activity_id = activity_id
                session.add(row)
                session.commit()

    def add_feedback(
        self,
        conversation_id: str,
        reply_to_id: str | None,
        user_id: str,
        reaction: str,
        text: str,
        reason: str | None = None,
        asked_person: bool = False,
    ) -> Message | None:
        """Store a vote on the answer Teams names; without an id, on the latest answer here.

        Returns the answer voted on, or ``None`` when there is no such answer (the vote is ignored).
        """
        with self.db.session() as session:
            query = select(Message).where(
                Message.conversation_id == conversation_id,
                col(Message.outcome).in_(("answered", "sources_only", "no_answer")),
            )
            if reply_to_id:
                query = query.where(Message.reply_activity_id == reply_to_id)
            message = session.exec(query.order_by(col(Message.id).desc())).first()
            if message is None:
                return None
            session.add(
                Feedback(
                    message_id=message.id,
                    user_id=user_id,
                    reaction=reaction,
                    text=text[:4000],
                    reason=reason,
                    asked_person=asked_person,
                )
            )
            session.commit()
            return message

    def welcome_once(self, conversation_id: str) -> bool:
        """True the first time only (per conversation), however often Teams re-sends the install event."""
        with self.db.session() as session:
            if session.get(Welcome, conversation_id) is not None:
                return False
            session.add(Welcome(conversation_id=conversation_id))
            try:
                session.commit()
            except IntegrityError:
                return False
            return True
