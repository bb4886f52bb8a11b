"""feedback citations welcomes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "welcomes",
        sa.Column("conversation_id", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
        sa.Column("welcomed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id"),
    )
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("reaction", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_message_id"), ["message_id"], unique=False)

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("citations", sa.Text(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("reply_activity_id", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True)
        )
        batch_op.create_index(
            batch_op.f("ix_messages_reply_activity_id"), ["reply_activity_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_reply_activity_id"))
        batch_op.drop_column("reply_activity_id")
        batch_op.drop_column("citations")

    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_message_id"))

    op.drop_table("feedback")
    op.drop_table("welcomes")
