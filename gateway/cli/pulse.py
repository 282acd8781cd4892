"""`gateway pulse send`: the weekly service-return pulse (`results` is added to the same group by its own module)."""

from __future__ import annotations

import click


@click.group()
def pulse() -> None:
    """The service-return pulse: ask the leaders whether each tracked service is there."""
