"""The migrations build exactly the schema the models describe, run twice without harm, and every one of them
downgrades (0009, staff accounts, with data in its tables) and upgrades again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from gateway.core.db import Database
from gateway.core.migrate import alembic_config, downgrade, pending_revisions, upgrade
from gateway.models import Alert, AlertUpdate, Base, Escalation
from gateway.staff.accounts import add_user, issue_token


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


def current_revision(database: Database) -> str | None:
    with database.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema(database: Database) -> dict[str, set[str]]:
    """Table name → its column names (and, under the key `indexes`, every index name)."""
    found = inspect(database.engine)
    tables = {t: {c["name"] for c in found.get_columns(t)} for t in found.get_table_names() if t != "alembic_version"}
    tables["indexes"] = {i["name"] for t in tables if t != "indexes" for i in found.get_indexes(t)}
    return tables


def test_0009_downgrades_to_0008_with_staff_data_in_it_and_upgrades_again(database_url, runtime, directory):
    with runtime.db.transaction() as session:  # a staff account who took an alert, with a token and a note
        user = add_user(session, "awa@example.org", "Awa", "admin", None, None, "correct horse battery")
        issue_token(session, user, "dashboard")
        alert = Alert(status="acknowledged", source="oneshot", channel="sms", severity=3)
        session.add(alert)
        session.flush()
        session.add(
            Escalation(
                alert_id=alert.id, status="stopped", acknowledged_by_user_id=user.id, resolved_by_user_id=user.id
            )
        )
        session.add(AlertUpdate(alert_id=alert.id, kind="note", value="vu", actor=user.email))
    runtime.db.dispose()
    database = Database(database_url)
    contacts = len(directory)
    try:
        downgrade(database, "0008")
        assert current_revision(database) == "0008"
        tables = schema(database)
        assert "staff_users" not in tables and "api_tokens" not in tables
        assert (
            "acknowledged_by_user_id" not in tables["escalations"]
            and "resolved_by_user_id" not in tables["escalations"]
        )
        assert "actor" not in tables["alert_updates"] and "ix_audit_log_action" not in tables["indexes"]
        with database.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM contacts")).scalar() == contacts
            assert connection.execute(text("SELECT count(*) FROM escalations")).scalar() == 1
            assert connection.execute(text("SELECT value FROM alert_updates")).scalar() == "vu"
    finally:
        upgrade(database)  # the PostgreSQL run shares this database with the tests after this one
    assert current_revision(database) == ScriptDirectory.from_config(alembic_config(database)).get_current_head()
    assert not pending_revisions(database)
    with database.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    database.dispose()


def test_every_revision_downgrades_and_upgrades_again(database_url):
    database = Database(database_url)
    script = ScriptDirectory.from_config(alembic_config(database))
    revisions = [r.revision for r in script.walk_revisions()]  # newest first
    assert revisions[0] == script.get_current_head() and len(revisions) >= 9
    try:
        for older in [*revisions[1:], "base"]:
            downgrade(database, older)
            assert current_revision(database) == (None if older == "base" else older)
        assert set(schema(database)) == {"indexes"}, "nothing left at the base"
    finally:
        upgrade(database)
    with database.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    database.dispose()
