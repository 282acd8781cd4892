"""Helpers of the CLI audit tests: the audit log as `gateway audit list --format json` shows it, and a scan that no
row holds a phone number, a Telegram id or a message body."""

from __future__ import annotations

import getpass
import json

from click.testing import CliRunner
from sqlalchemy import select

from gateway.cli import main
from gateway.core.privacy import mask_phone_numbers
from gateway.models import Alert, Contact, Message

ACTOR = f"cli:{getpass.getuser()}"


def invoker(env: dict[str, str]):
    """`run(*args, stdin=None, **extra_env)`: the real `gateway` command in the test environment."""
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None, **extra: str):
        return runner.invoke(main, list(args), env={**env, **extra}, input=stdin, catch_exceptions=False)

    return run


def audit(run) -> list[dict]:
    """Every audit row, oldest first."""
    result = run("audit", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["audit"]


def changes(run) -> list[tuple[str, str, str | None]]:
    """(actor, action, target) of every audit row."""
    return [(row["actor"], row["action"], row["target"]) for row in audit(run)]


def assert_nothing_private(runtime, rows: list[dict]) -> None:
    """No row holds a phone number (in any form stored, or any run of digits that looks like one), a Telegram id,
    a message body or an alert's description."""
    with runtime.db.transaction() as session:
        private = set()
        for phone, telegram_id in session.execute(select(Contact.phone, Contact.telegram_id)):
            private |= {phone, phone[-8:]} | ({str(telegram_id)} if telegram_id else set())
        private |= {body for body in session.scalars(select(Message.body)) if body and len(body) > 12}
        private |= {text for text in session.scalars(select(Alert.description)) if text and len(text) > 12}
    dumped = json.dumps(rows, ensure_ascii=False)
    assert not [p for p in private if p in dumped], dumped
    for row in rows:
        for field in ("target", "detail"):
            assert mask_phone_numbers(row[field] or "") == (row[field] or ""), row
