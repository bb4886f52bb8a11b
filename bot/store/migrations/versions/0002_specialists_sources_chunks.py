"""specialists sources chunks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

GENERAL_PROMPT = (
    "Du er AarhusAI, en hjælpsom assistent for medarbejdere i Aarhus Kommune. Svar på dansk, kort og "
    "præcist. Du har ingen adgang til kommunens dokumenter i denne samtale; sig det, hvis spørgsmålet "
    "kræver dem, og find aldrig på regler, paragraffer eller kilder."
)


def upgrade() -> None:

    op.create_table(
        "specialists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("department", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("model_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("temperature", sa.Float(), nullable=False),
        sa.Column("top_k", sa.Integer(), nullable=False),
        sa.Column("chunk_size", sa.Integer(), nullable=False),
        sa.Column("chunk_overlap", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("content_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("specialists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_specialists_slug"), ["slug"], unique=True)

    op.create_table(
        "edit_selections",
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("specialist_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["specialist_id"], ["specialists.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "prompt_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("specialist_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["specialist_id"], ["specialists.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("specialist_id", "version"),
    )
    with op.batch_alter_table("prompt_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prompt_versions_specialist_id"), ["specialist_id"], unique=False)

    op.create_table(
        "selections",
        sa.Column("conversation_id", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
        sa.Column("specialist_id", sa.Integer(), nullable=False),
        sa.Column("set_by", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["specialist_id"], ["specialists.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("specialist_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("embedding_model", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("warnings", sa.Text(), nullable=False),
        sa.Column("added_by", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["specialist_id"], ["specialists.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("specialist_id", "name"),
    )
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sources_specialist_id"), ["specialist_id"], unique=False)

    op.create_table(
        "source_files",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("source_id"),
    )
    op.create_table(
        "chunks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("specialist_id", sa.Integer(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("heading", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["source_id"], ["sources.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["specialist_id"], ["specialists.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("chunks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chunks_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_chunks_specialist_id"), ["specialist_id"], unique=False)

    # The general assistant exists from the start (it answers without sources).
    now = datetime.now(UTC)
    specialists = sa.table(
        "specialists",
        *(
            sa.column(c)
            for c in (
                "id",
                "slug",
                "name",
                "description",
                "kind",
                "temperature",
                "top_k",
                "chunk_size",
                "chunk_overlap",
                "status",
                "content_version",
                "created_at",
                "updated_at",
            )
        ),
    )
    op.bulk_insert(
        specialists,
        [
            {
                "id": 1,
                "slug": "assistent",
                "name": "Generel assistent",
                "description": "Svarer på generelle spørgsmål uden kilder.",
                "kind": "general",
                "temperature": 0.2,
                "top_k": 5,
                "chunk_size": 800,
                "chunk_overlap": 120,
                "status": "published",
                "content_version": 0,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    prompts = sa.table(
        "prompt_versions",
        *(sa.column(c) for c in ("specialist_id", "version", "text", "author", "created_at")),
    )
    op.bulk_insert(
        prompts,
        [{"specialist_id": 1, "version": 1, "text": GENERAL_PROMPT, "author": "system", "created_at": now}],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('specialists', 'id'), 1)")


def downgrade() -> None:

    with op.batch_alter_table("chunks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chunks_specialist_id"))
        batch_op.drop_index(batch_op.f("ix_chunks_source_id"))

    op.drop_table("chunks")
    op.drop_table("source_files")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sources_specialist_id"))

    op.drop_table("sources")
    op.drop_table("selections")
    with op.batch_alter_table("prompt_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prompt_versions_specialist_id"))

    op.drop_table("prompt_versions")
    op.drop_table("edit_selections")
    with op.batch_alter_table("specialists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_specialists_slug"))

    op.drop_table("specialists")
