"""`gateway db …`: schema migrations."""

from __future__ import annotations

import click

from gateway.cli import cli_settings, open_database


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def upgrade_command() -> None:
    """Apply the migrations (idempotent)."""
    open_database(cli_settings())
    click.echo("database schema is up to date")
