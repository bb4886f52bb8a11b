"""what a specialist screened as seeing no personal data does with CPR numbers in a source

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain ADD COLUMN (no table rebuild, so SQLite cascades nothing)
    op.add_column(
        "specialists", sa.Column("source_cpr", sa.String(length=16), nullable=False, server_default="refuse")
    )


def downgrade() -> None:
    with op.batch_alter_table("specialists") as batch_op:
        batch_op.drop_column("source_cpr")
