"""Prompt starters: up to six questions a specialist's Builder offers its users (one a line)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("specialists") as batch:
        batch.add_column(sa.Column("starters", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("specialists") as batch:
        batch.drop_column("starters")
