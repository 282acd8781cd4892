"""Schema migrations (Alembic), driven from code so no alembic.ini is needed at run time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from gateway.core.db import Database

MIGRATIONS = Path(__file__).parent.parent / "migrations"  # gateway/migrations: package-data, beside the models


def alembic_config(database: Database) -> Config:
    """An Alembic configuration pointing at the gateway's migrations and this database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database.url.replace("%", "%%"))
    return config


@contextmanager
def _migrating(database: Database) -> Iterator[Connection]:
    """A connection for migrations, in one transaction. On SQLite, foreign keys are off meanwhile: a batch
    migration rebuilds a table (copy, drop, rename), and dropping one that other rows refer to would fail; they
    are checked once the migration has committed, and turned on again before the connection goes back."""
    sqlite = database.engine.dialect.name == "sqlite"
    with database.engine.connect() as connection:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside a transaction, or SQLite ignores it
            connection.commit()  # ends SQLAlchemy's autobegun (empty) transaction
        try:
            with connection.begin():
                yield connection
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                connection.commit()
                if broken:
                    raise RuntimeError(f"the migration left {len(broken)} row(s) pointing at nothing: {broken[:3]}")
        finally:
            if sqlite:
                connection.rollback()
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upgrade(database: Database, revision: str = "head") -> None:
    """Bring the schema up to `revision` (the newest by default)."""
    config = alembic_config(database)
    with _migrating(database) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(database: Database, revision: str) -> None:
    """Take the schema back to `revision` (for an operator undoing an upgrade, and the tests)."""
    config = alembic_config(database)
    with _migrating(database) as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def pending_revisions(database: Database) -> bool:
    """True when the database is behind the newest migration."""
    script = ScriptDirectory.from_config(alembic_config(database))
    with database.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    return current != script.get_current_head()
