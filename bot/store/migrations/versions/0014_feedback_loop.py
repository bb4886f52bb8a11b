"""Feedback loop: why an answer was poor, experts of a specialist, hand-offs to them, verified answers

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback") as batch:
        batch.add_column(sa.Column("reason", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("asked_person", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("specialists") as batch:
        batch.add_column(sa.Column("experts", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("card", sa.Text(), nullable=False, server_default=""))
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "specialist_id", sa.Integer(), sa.ForeignKey("specialists.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "message_id", sa.Integer(), sa.ForeignKey("messages.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("asker_id", sa.String(length=256), nullable=False),
        sa.Column("asker_name", sa.String(length=256), nullable=True),
        sa.Column("conversation_id", sa.String(length=512), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False, server_default="da"),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("citations", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False, server_default=""),
        sa.Column("status", sa.String(length=16), nullable=False, server_default="open"),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("answered_by", sa.String(length=256), nullable=True),
        sa.Column("answered_by_name", sa.String(length=256), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_handoffs_specialist_id", "handoffs", ["specialist_id"])
    op.create_table(
        "verified_answers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "specialist_id", sa.Integer(), sa.ForeignKey("specialists.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("source_name", sa.String(length=255), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("author_id", sa.String(length=256), nullable=False),
        sa.Column("author_name", sa.String(length=256), nullable=False),
        sa.Column(
            "handoff_id", sa.Integer(), sa.ForeignKey("handoffs.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("specialist_id", "source_name"),
    )
    op.create_index("ix_verified_answers_specialist_id", "verified_answers", ["specialist_id"])


def downgrade() -> None:
    op.drop_index("ix_verified_answers_specialist_id", table_name="verified_answers")
    op.drop_table("verified_answers")
    op.drop_index("ix_handoffs_specialist_id", table_name="handoffs")
    op.drop_table("handoffs")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("card")
    with op.batch_alter_table("specialists") as batch:
        batch.drop_column("experts")
    with op.batch_alter_table("feedback") as batch:
        batch.drop_column("asked_person")
        batch.drop_column("reason")
