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


# One round trip per send on PostgreSQL: the locks are held while the function runs, never while a
# replica's Python works (bot/store/sendlog.py has the same rule for SQLite, in Python).
RESERVE_SEND = """
CREATE OR REPLACE FUNCTION aarhusai_reserve_send(scopes text[], limits int[], windows float8[])
RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
  now_ts timestamptz;
  wait float8 := 0;
  nth timestamptz;
  one text;
BEGIN
  FOR one IN SELECT DISTINCT s FROM unnest(scopes) AS s ORDER BY 1 LOOP
    PERFORM pg_advisory_xact_lock(hashtextextended(one, 0));
  END LOOP;
  now_ts := clock_timestamp();
  FOR i IN 1 .. coalesce(array_length(scopes, 1), 0) LOOP
    SELECT sent_at INTO nth FROM send_log
     WHERE scope = scopes[i] AND sent_at > now_ts - make_interval(secs => windows[i])
     ORDER BY sent_at DESC OFFSET limits[i] - 1 LIMIT 1;
    IF FOUND THEN
      wait := greatest(wait, windows[i] - extract(epoch FROM now_ts - nth));
    END IF;
  END LOOP;
  IF wait > 0 THEN
    RETURN wait;
  END IF;
  INSERT INTO send_log (scope, sent_at) SELECT DISTINCT s, now_ts FROM unnest(scopes) AS s;
  DELETE FROM send_log
   WHERE scope = ANY(scopes)
     AND sent_at < now_ts - make_interval(secs => 2 * (SELECT max(w) FROM unnest(windows) AS w));
  RETURN 0;
END $$;
"""


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
    if op.get_bind().dialect.name == "postgresql":
        op.execute(RESERVE_SEND)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS aarhusai_reserve_send(text[], int[], float8[])")
    op.drop_index("ix_activity_claims_conversation", table_name="activity_claims")
    with op.batch_alter_table("activity_claims") as batch:
        batch.drop_column("conversation")
    op.drop_index("ix_send_log_scope_sent_at", table_name="send_log")
    op.drop_table("send_log")
