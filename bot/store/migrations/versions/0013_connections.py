"""Connections: places a specialist's documents live (web, SharePoint, channel files), synced on a
schedule, and each connected document's identity on its source row

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "specialist_id", sa.Integer(), sa.ForeignKey("specialists.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("target", sa.Text(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("every_s", sa.Integer(), nullable=False, server_default="86400"),
        sa.Column("state", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("report", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("last_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_sync_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("syncing_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("syncing_by", sa.String(length=128), nullable=True),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("specialist_id", "name"),
    )
    op.create_index("ix_connections_specialist_id", "connections", ["specialist_id"])
    op.create_index("ix_connections_next_sync", "connections", ["next_sync_at"])
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("connection_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("doc_key", sa.Text(), nullable=True))
        batch.add_column(sa.Column("url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("modified", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("fetched_sha256", sa.String(length=64), nullable=True))
        batch.create_foreign_key(
            "fk_sources_connection_id", "connections", ["connection_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index("ix_sources_connection_id", ["connection_id"])


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.drop_index("ix_sources_connection_id")
        batch.drop_constraint("fk_sources_connection_id", type_="foreignkey")
        for column in ("fetched_sha256", "modified", "url", "doc_key", "connection_id"):
            batch.drop_column(column)
    op.drop_index("ix_connections_next_sync", table_name="connections")
    op.drop_index("ix_connections_specialist_id", table_name="connections")
    op.drop_table("connections")
