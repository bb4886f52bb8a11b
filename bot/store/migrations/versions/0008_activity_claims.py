"""Incoming activities claimed once across replicas; periodic jobs run once per period

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activity_claims",
        sa.Column("key", sa.String(length=600), primary_key=True),
        sa.Column("replica", sa.String(length=128), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_activity_claims_claimed_at", "activity_claims", ["claimed_at"])
    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(length=64), primary_key=True),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replica", sa.String(length=128), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
    op.drop_index("ix_activity_claims_claimed_at", table_name="activity_claims")
    op.drop_table("activity_claims")
