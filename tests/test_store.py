"""The store on SQLite and on the real PostgreSQL: migrations from empty, rows written and read."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlmodel import col, delete, select

from bot.conversation.types import ConversationRef, Incoming, User
from bot.store import Conversation, Database, Message, migrate
from bot.store.conversations import ConversationStore


def _incoming(text: str, conversation: str, user: str = "u1") -> Incoming:
    return Incoming(
        text=text,
        user=User(id=f"29:{user}", name=user.title(), aad_object_id=f"aad-{user}"),
        conversation=ConversationRef(id=conversation, type="channel", tenant_id="t1"),
        activity_id=f"act-{text}",
    )


def _record(store: ConversationStore, incoming: Incoming, answer: str, **kw: object) -> Message:
    return store.record(
        incoming.conversation,
        incoming.user_key,
        incoming.text,
        answer,
        user_name=incoming.user.name,
        activity_id=incoming.activity_id,
        **kw,  # type: ignore[arg-type]
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
        _record(
            store, _incoming("Hvad er åbningstiden?", thread), "Kl. 8-15.", model="m1", outcome="answered"
        )
        _record(store, _incoming("Tak", thread, user="u2"), "Selv tak.", model="m1", outcome="answered")
        _record(store, _incoming("Fejl?", thread), "Modellen svarer ikke.", model="m1", outcome="model_error")
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
        _record(store, _incoming("spørgsmål A", a), "svar A", model=None, outcome="answered")
        _record(store, _incoming("spørgsmål B", b), "svar B", model=None, outcome="answered")
        assert [m.question for m in store.history(a, 10)] == ["spørgsmål A"]
        assert [m.question for m in store.history(b, 10)] == ["spørgsmål B"]
    finally:
        db.dispose()


def test_upgrading_keeps_existing_data(db_url: str) -> None:
    """SQLite rebuilds tables to alter them; that must not cascade into the rows that reference them."""
    from sqlalchemy import text

    db = Database(db_url)
    try:
        migrate.upgrade(db, "0003")
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO specialists (slug, name, description, kind, temperature, top_k, "
                    "chunk_size, chunk_overlap, status, content_version, created_at, updated_at) VALUES "
                    "('guide', 'Guide', '', 'sources', 0.2, 5, 800, 120, 'published', 1, "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
            spec_id = conn.execute(text("SELECT id FROM specialists WHERE slug = 'guide'")).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO prompt_versions (specialist_id, version, text, author, created_at) "
                    f"VALUES ({spec_id}, 1, 'Prompt', 'bo', CURRENT_TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO sources (specialist_id, name, kind, size_bytes, sha256, chunk_count, "
                    "embedding_model, warnings, added_by, created_at) VALUES "
                    f"({spec_id}, 'a.md', 'markdown', 1, 'x', 1, 'm', '[]', 'bo', CURRENT_TIMESTAMP)"
                )
            )
        migrate.upgrade(db)
        with db.engine.connect() as conn:
            counts = [
                conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()
                for t in ("specialists", "prompt_versions", "sources")
            ]
            sharing = conn.execute(
                text("SELECT sharing, classification FROM specialists WHERE slug = 'guide'")
            ).one()
        assert counts == [2, 2, 1]  # the general assistant and 'guide', each with its prompt; the source
        assert tuple(sharing) == ("personal", "personfølsom")  # unscreened: the strictest defaults
    finally:
        db.dispose()


def test_audit_rows_cannot_be_changed_even_by_hand(db_url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from bot.governance.audit import AuditLog, AuditTampering
    from bot.store.models import AuditEvent

    db = Database(db_url)
    migrate.upgrade(db)
    try:
        log = AuditLog(db)
        log.record("admin", "role.assigned", "bo", role="builder")
        with db.session() as s:
            row = s.exec(select(AuditEvent)).one()
            row.action = "rewritten"
            s.add(row)
            with pytest.raises(AuditTampering):
                s.commit()
        with db.session() as s, pytest.raises(AuditTampering):
            s.exec(delete(AuditEvent))
        for statement in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"):
            with pytest.raises(DBAPIError), db.engine.begin() as conn:
                conn.execute(text(statement))
        assert [(e.actor, e.action) for e in log.events()] == [("admin", "role.assigned")]
    finally:
        db.dispose()
