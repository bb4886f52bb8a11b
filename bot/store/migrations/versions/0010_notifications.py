"""Notifications: where each person can be reached (their personal chat) and an outbox of messages

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person_reach",
        sa.Column("person", sa.String(length=256), primary_key=True),
        sa.Column("conversation_id", sa.String(length=512), nullable=False),
        sa.Column("service_url", sa.String(length=512), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("bot_id", sa.String(length=256), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False, server_default="da"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "notifications",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("recipient", sa.String(length=256), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("subject", sa.String(length=512), nullable=False, server_default=""),
        sa.Column("key", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("values", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.Column("buttons", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
    )
    op.create_index("ix_notifications_recipient", "notifications", ["recipient"])
    op.create_index("ix_notifications_due", "notifications", ["sent_at", "failed_at", "claimed_until"])


def downgrade() -> None:
    op.drop_index("ix_notifications_due", table_name="notifications")
    op.drop_index("ix_notifications_recipient", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("person_reach")
