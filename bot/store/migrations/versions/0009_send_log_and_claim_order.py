"""Sends to Teams logged for the budgets all replicas share; claims know their conversation (order)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "send_log",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("scope", sa.String(length=600), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_send_log_scope_sent_at", "send_log", ["scope", "sent_at"])
    with op.batch_alter_table("activity_claims") as batch:
        batch.add_column(sa.Column("conversation", sa.String(length=512), nullable=False, server_default=""))
    op.create_index("ix_activity_claims_conversation", "activity_claims", ["conversation", "claimed_at"])


def downgrade() -> None:
    op.drop_index("ix_activity_claims_conversation", table_name="activity_claims")
    with op.batch_alter_table("activity_claims") as batch:
        batch.drop_column("conversation")
    op.drop_index("ix_send_log_scope_sent_at", table_name="send_log")
    op.drop_table("send_log")
