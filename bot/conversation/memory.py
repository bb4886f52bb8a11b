"""Conversation memory, kept in the database: each conversation (or channel thread) on its own."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.conversation.types import ConversationRef, Incoming
from bot.store import Conversation, Database, Message


class ConversationStore:
    """Records exchanges and reads back the recent ones. Blocking: call it from a worker thread."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
        self,
        incoming: Incoming,
        answer: str,
        *,
        model: str | None,
        outcome: str,
        specialist: str = "assistent",
    ) -> Message:
        conv = incoming.conversation
        with self.db.session() as session:
            if session.get(Conversation, conv.id) is None:
                session.add(_conversation_row(conv))
                try:
                    session.commit()
                except IntegrityError:  # created meanwhile by a concurrent message
                    session.rollback()
            message = Message(
                conversation_id=conv.id,
                user_id=incoming.user.aad_object_id or incoming.user.id,
                user_name=incoming.user.name,
                activity_id=incoming.activity_id,
                specialist=specialist,
                question=incoming.text,
                answer=answer,
                model=model,
                outcome=outcome,
            )
            session.add(message)
            session.commit()
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


def _conversation_row(conv: ConversationRef) -> Conversation:
    return Conversation(
        id=conv.id, channel_id=conv.channel_id, conversation_type=conv.type, tenant_id=conv.tenant_id
    )
