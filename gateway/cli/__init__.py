"""The `gateway` command: one group, sub-commands in sibling modules; every failure is one line and a non-zero exit."""

from __future__ import annotations

import os
import signal
import sys

import click

from gateway.core.audit import cli_actor, record
from gateway.core.config import ConfigError, Settings, load_settings
from gateway.core.db import Database
from gateway.core.logs import configure_logging
from gateway.core.untrusted import for_terminal


class GatewayGroup(click.Group):
    """A click group that turns every expected error into one clear line (never a traceback)."""

    def invoke(self, ctx: click.Context):
        """Run the command; expected failures become `Error: <reason>` and a non-zero exit."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except ConfigError as exc:
            raise click.ClickException(f"configuration: {exc}") from None
        except KeyboardInterrupt:
            raise click.exceptions.Exit(130) from None
        except BrokenPipeError:
            # The reader of a listing went away (`gateway officers | head`): stop quietly, like any Unix tool.
            _detach_stdout()
            raise click.exceptions.Exit(128 + signal.SIGPIPE) from None
        except Exception as exc:
            if os.environ.get("GATEWAY_DEBUG"):
                raise
            # The exception's text may quote a URL or a number; only its kind is shown.
            raise click.ClickException(
                f"unexpected {type(exc).__name__} (set GATEWAY_DEBUG=1 to see the traceback)"
            ) from None


def _detach_stdout() -> None:
    """Point standard output at /dev/null, so the final flush of what is still buffered cannot fail again."""
    try:
        target = sys.stdout.fileno()
    except (OSError, ValueError):  # not a real file (a test runner's buffer): nothing will flush to a pipe
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, target)
    finally:
        os.close(devnull)


def cli_settings(service: bool = False) -> Settings:
    """Settings from the environment, with logging configured (warnings only for one-shot commands,
    unless LOG_LEVEL asks for more; the long-running services log at LOG_LEVEL)."""
    settings = load_settings()
    level = settings.log_level if service or os.environ.get("LOG_LEVEL") else "WARNING"
    configure_logging(level, settings.secrets)
    return settings


def open_database(settings: Settings) -> Database:
    """The database, migrated to the newest schema (idempotent), with a clear error when unreachable."""
    from gateway.core.migrate import upgrade

    database = Database(settings.database_url)
    try:
        database.ping()
    except Exception as exc:  # noqa: BLE001 - report the class of failure, never the URL (it may hold a password)
        raise click.ClickException(f"database unreachable ({type(exc).__name__}); check DATABASE_URL") from None
    upgrade(database)
    return database


def audit_cli(database: Database, action: str, target: str | None = None, detail: str | None = None) -> None:
    """Record, in a transaction of its own, a change made outside the database (a provider's configuration), with
    the actor `cli:<os user>`; for changes to records, call gateway.core.audit.record in their own transaction."""
    with database.transaction() as session:
        record(session, cli_actor(), action, target, detail)


def echo_error(message: str) -> None:
    """Print a line to standard error."""
    click.echo(for_terminal(message), err=True)


@click.group(cls=GatewayGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Messaging gateway for community leaders, facilitators and duty officers."""


def _register() -> None:
    from gateway.cli import (
        alerts,
        android,
        audit,
        callgate,
        card,
        catalogue,
        contacts,
        database,
        meetings,
        processes,
        pulse,
        pulse_results,
        report,
        retention,
        roadmaps,
        simulate,
        status,
        telegram,
        users,
    )

    main.add_command(database.db)
    main.add_command(contacts.contacts)
    main.add_command(alerts.alerts)
    main.add_command(alerts.officers_command)
    main.add_command(meetings.meetings)
    main.add_command(pulse.pulse)
    pulse.pulse.add_command(pulse_results.results)
    main.add_command(simulate.simulate)
    main.add_command(telegram.telegram)
    main.add_command(android.android)
    main.add_command(callgate.callgate)
    main.add_command(audit.audit)
    main.add_command(catalogue.catalogue_group)
    main.add_command(report.report)
    main.add_command(card.card_command)
    main.add_command(retention.purge_command)
    main.add_command(roadmaps.roadmaps)
    main.add_command(users.users)
    main.add_command(status.status_command)
    for command in (processes.run, processes.web, processes.worker):
        main.add_command(command)


_register()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
