"""Builders' test cases per specialist, the runs that gate publishing, and model-catalogue runs

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "specialist_cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("specialist_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("asserts", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["specialist_id"], ["specialists.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_specialist_cases_specialist_id", "specialist_cases", ["specialist_id"])
    op.create_table(
        "case_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("specialist_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("model", sa.String(length=200), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("run_by", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["specialist_id"], ["specialists.id"], ondelete="CASCADE"),
    )
    op.create_index("ix_case_runs_specialist_id", "case_runs", ["specialist_id"])
    op.create_table(
        "catalogue_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("run_by", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("catalogue_runs")
    op.drop_index("ix_case_runs_specialist_id", table_name="case_runs")
    op.drop_table("case_runs")
    op.drop_index("ix_specialist_cases_specialist_id", table_name="specialist_cases")
    op.drop_table("specialist_cases")
