"""`gateway status`: the one-screen health of the gateway for an operator; exit 1 when a person is needed."""

from __future__ import annotations

import click

from gateway.cli import cli_settings
from gateway.cli.output import FORMAT_OPTION, emit_json, say

# The exit codes (docs/monitoring.md): 0 all is well (warnings may be listed), 1 a person is needed.
EXIT_NEEDS_PERSON = 1
MARKS = {"ok": "ok", "warn": "WARN", "problem": "PROBLEM"}


@click.command("status")
@FORMAT_OPTION
def status_command(fmt: str) -> None:
    """Channels, queues, the oldest waiting messages, failures, alerts not taken, the last sweep; exit 1 when a
    person is needed (the reasons are listed)."""
    from gateway.observability.status import gather

    report = gather(cli_settings())
    if fmt == "json":
        emit_json(report.as_json())
    else:
        width = max(len(check.name) for check in report.checks)
        for check in report.checks:
            say(f"{MARKS[check.state]:<8} {check.name:<{width}}  {check.summary}")
        reasons = report.reasons()
        if reasons:
            say(f"\n{len(reasons)} thing(s) need a person:")
            for reason in reasons:
                say(f"  - {reason}")
        else:
            say("\nall is well: leaders' messages are getting through")
    if report.needs_person:
        raise click.exceptions.Exit(EXIT_NEEDS_PERSON)
