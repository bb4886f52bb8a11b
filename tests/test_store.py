"""The store on SQLite and on the real PostgreSQL: migrations from empty, rows written and read."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlmodel import col, select

from bot.conversation.memory import ConversationStore
from bot.conversation.types import ConversationRef, Incoming, User
from bot.store import Conversation, Database, Message, migrate


def _incoming(text: str, conversation: str, user: str = "u1") -> Incoming:
    return Incoming(
        text=text,
        user=User(id=f"29:{user}", name=user.title(), aad_object_id=f"aad-{user}"),
        conversation=ConversationRef(id=conversation, type="channel", tenant_id="t1"),
        activity_id=f"act-{text}",
    )


def test_migrations_from_empty(db_url: str) -> None:
    db = Database(db_url)
    try:
        assert migrate.current_revision(db) is None
        migrate.upgrade(db)
        assert migrate.current_revision(db) == migrate.head_revision(db)
        tables = set(inspect(db.engine).get_table_names())
        assert {
            "conversations",
            "messages",
            "specialists",
            "prompt_versions",
            "sources",
            "source_files",
            "chunks",
            "selections",
            "edit_selections",
            "alembic_version",
        } <= tables
        migrate.upgrade(db)  # idempotent
        assert migrate.current_revision(db) == migrate.head_revision(db)
    finally:
        db.dispose()


def test_messages_are_stored_with_who_when_specialist_and_model(db_url: str) -> None:
    db = Database(db_url)
    migrate.upgrade(db)
    store = ConversationStore(db)
    try:
        thread = "19:abc@thread.tacv2;messageid=111"
        store.record(_incoming("Hvad er åbningstiden?", thread), "Kl. 8-15.", model="m1", outcome="answered")
        store.record(_incoming("Tak", thread, user="u2"), "Selv tak.", model="m1", outcome="answered")
        store.record(_incoming("Fejl?", thread), "Modellen svarer ikke.", model="m1", outcome="model_error")
        with db.session() as s:
            conv = s.get(Conversation, thread)
            assert conv is not None and conv.conversation_type == "channel" and conv.tenant_id == "t1"
            rows = s.exec(select(Message).order_by(col(Message.id))).all()
        assert [(r.user_id, r.question, r.answer, r.model, r.specialist) for r in rows[:2]] == [
            ("aad-u1", "Hvad er åbningstiden?", "Kl. 8-15.", "m1", "assistent"),
            ("aad-u2", "Tak", "Selv tak.", "m1", "assistent"),
        ]
        assert all(r.created_at is not None for r in rows)
        # memory holds only answered exchanges, oldest first, limited
        history = store.history(thread, limit=5)
        assert [m.question for m in history] == ["Hvad er åbningstiden?", "Tak"]
        assert [m.question for m in store.history(thread, limit=1)] == ["Tak"]
    finally:
        db.dispose()


def test_threads_are_separate_conversations(db_url: str) -> None:
    db = Database(db_url)
    migrate.upgrade(db)
    store = ConversationStore(db)
    try:
        a, b = "19:chan@thread.tacv2;messageid=1", "19:chan@thread.tacv2;messageid=2"
        store.record(_incoming("spørgsmål A", a), "svar A", model=None, outcome="answered")
        store.record(_incoming("spørgsmål B", b), "svar B", model=None, outcome="answered")
        assert [m.question for m in store.history(a, 10)] == ["spørgsmål A"]
        assert [m.question for m in store.history(b, 10)] == ["spørgsmål B"]
    finally:
        db.dispose()
