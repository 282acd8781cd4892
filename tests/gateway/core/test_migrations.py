"""The migrations build exactly the schema the models describe, and run twice without harm."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from gateway.core.db import Database
from gateway.core.migrate import pending_revisions, upgrade
from gateway.models import Base


def test_migrated_schema_matches_the_models(database_url):
    database = Database(database_url)
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    database.dispose()
    assert differences == []


def test_upgrade_is_idempotent(database_url):
    database = Database(database_url)
    assert not pending_revisions(database)
    upgrade(database)
    assert not pending_revisions(database)
    database.dispose()


def test_a_fresh_sqlite_file_is_created_migrated_and_in_wal_mode(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'sub' / 'fresh.db'}")
    assert pending_revisions(database)
    upgrade(database)
    assert not pending_revisions(database)
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    database.dispose()
