"""Alembic environment: the engine comes from ``bot.store.migrate`` (no alembic.ini URL).

On SQLite, ``batch_alter_table`` rebuilds a table (copy, drop, rename). With foreign keys enforced,
dropping the old table would cascade deletes into every table that references it, so enforcement is
switched off for the migration (SQLite ignores the pragma inside a transaction, hence before it).
"""

from alembic import context
from sqlmodel import SQLModel

import bot.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    context.configure(connection=connection, target_metadata=SQLModel.metadata, render_as_batch=sqlite)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
    if sqlite:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")  # the pooled connection is reused
        connection.commit()
