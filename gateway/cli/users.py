"""`gateway users add|list|disable|reset-password|reset-2fa|token`: staff accounts of the console and the API."""

from __future__ import annotations

import sys

import click
from sqlalchemy import select

from gateway.cli import cli_settings, open_database
from gateway.cli.output import FORMAT_OPTION, emit
from gateway.core import audit
from gateway.models import ApiToken, StaffUser, utcnow
from gateway.staff import second_factor
from gateway.staff.accounts import (
    AccountError,
    add_user,
    find_user,
    hash_password,
    issue_token,
    link_contact,
    revoke_tokens,
)
from gateway.staff.roles import StaffRole

LIST_COLUMNS = ("email", "name", "role", "scope", "contact", "two_factor", "tokens", "status", "last_login")


@click.group()
def users() -> None:
    """Staff accounts (console and API)."""


def _password(from_stdin: bool) -> str:
    """The password from stdin (first line), or typed twice at a terminal."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise click.ClickException("no terminal to type the password: give --password-stdin and pipe it in")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _user(session, email: str) -> StaffUser:
    user = find_user(session, email)
    if user is None:
        raise click.ClickException(f"no account for {email.strip().lower()!r}")
    return user


@users.command("add")
@click.argument("email")
@click.option("--name", required=True, help="Full name, as colleagues know it.")
@click.option("--role", required=True, type=click.Choice([r.value for r in StaffRole]), help="What the user may do.")
@click.option("--region", help="The region of a coordinator (e.g. Mopti).")
@click.option("--district", help="The district of a facilitator or an officer (code, e.g. KORO).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--contact", "contact_phone", help="Phone of the same person in the directory (officer, facilitator).")
def add_command(email, name, role, region, district, password_stdin, contact_phone) -> None:
    """Create a staff account."""
    password = _password(password_stdin)
    database = open_database(cli_settings())
    try:
        with database.transaction() as session:
            user = add_user(session, email, name, role, region, district, password)
            if contact_phone:
                link_contact(session, user, contact_phone)
            scope = _scope_label(user)
            audit.record(session, audit.cli_actor(), "user_add", user.email, f"{user.role} {scope}".strip())
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"account {user.email} created: {role} {scope}".rstrip())


def _scope_label(user: StaffUser) -> str:
    if user.district is not None:
        return user.district.code
    return user.region or ("all districts" if user.role in (StaffRole.ADMIN, StaffRole.OBSERVER) else "")


@users.command("list")
@FORMAT_OPTION
def list_command(fmt: str) -> None:
    """Every staff account (never a password or a token)."""
    database = open_database(cli_settings())
    with database.sessions() as session:
        live = {}
        for token in session.scalars(select(ApiToken).where(ApiToken.revoked_at.is_(None))):
            live[token.user_id] = live.get(token.user_id, 0) + 1
        rows = [
            {
                "email": u.email,
                "name": u.name,
                "role": u.role,
                "scope": _scope_label(u),
                "contact": u.contact.name if u.contact else "",  # the linked directory entry (never its phone)
                "two_factor": "on" if u.totp_secret else "off",
                "tokens": live.get(u.id, 0),
                "status": "disabled" if u.disabled_at else "active",
                "last_login": u.last_login_at.isoformat()[:16].replace("T", " ") if u.last_login_at else "",
            }
            for u in session.scalars(select(StaffUser).order_by(StaffUser.email))
        ]
    emit(rows, LIST_COLUMNS, fmt, empty="no staff accounts yet (gateway users add EMAIL --name N --role admin)")


@users.command("disable")
@click.argument("email")
def disable_command(email: str) -> None:
    """Disable an account: no login, its API tokens stop working at once."""
    database = open_database(cli_settings())
    with database.transaction() as session:
        user = _user(session, email)
        if user.disabled_at is not None:
            raise click.ClickException(f"{user.email} is already disabled")
        user.disabled_at = utcnow()
        revoked = revoke_tokens(session, user)
        audit.record(session, audit.cli_actor(), "user_disable", user.email, f"{revoked} token(s) revoked")
    click.echo(f"account {user.email} disabled; {revoked} API token(s) revoked")


@users.command("reset-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of stdin.")
def reset_password_command(email: str, password_stdin: bool) -> None:
    """Set a new password (the user's open console sessions end)."""
    password = _password(password_stdin)
    database = open_database(cli_settings())
    try:
        with database.transaction() as session:
            user = _user(session, email)
            user.password_hash = hash_password(password)
            audit.record(session, audit.cli_actor(), "user_password_reset", user.email)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"password of {user.email} changed")


@users.command("reset-2fa")
@click.argument("email")
def reset_2fa_command(email: str) -> None:
    """Remove the second factor of someone who lost their phone and recovery codes: their console sessions end,
    and they enrol again at their next login where one is required (admins always)."""
    settings = cli_settings()
    database = open_database(settings)
    with database.transaction() as session:
        user = _user(session, email)
        if not user.totp_secret:
            raise click.ClickException(f"{user.email} has no second factor")
        left = second_factor.remaining_recovery_codes(user)
        # Clearing the secret changes the credentials' fingerprint that every session cookie carries: they end.
        second_factor.disable(user)
        audit.record(session, audit.cli_actor(), "user_reset_2fa", user.email, f"{left} recovery code(s) dropped")
        required = second_factor.required_for(user, settings.console_require_2fa)
    then = "they must set up a new one at their next login" if required else "they may set up a new one"
    click.echo(f"second factor of {user.email} removed; their console sessions end; {then}")


@users.command("link")
@click.argument("email")
@click.option("--contact", "contact_phone", help="Phone of the same person in the directory (officer, facilitator).")
@click.option("--unlink", is_flag=True, help="Remove the link.")
def link_command(email: str, contact_phone: str | None, unlink: bool) -> None:
    """Link a staff account to the same person's directory entry, or unlink it."""
    if bool(contact_phone) == unlink:
        raise click.UsageError("give either --contact PHONE or --unlink")
    database = open_database(cli_settings())
    try:
        with database.transaction() as session:
            user = _user(session, email)
            contact = link_contact(session, user, None if unlink else contact_phone)
            target = f"contact #{contact.id}" if contact else "none"
            audit.record(session, audit.cli_actor(), "user_link", user.email, target)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{user.email} linked to {contact.name}" if contact else f"{user.email} unlinked")


@users.command("token")
@click.argument("email")
@click.option("--label", help="What the token is for (e.g. 'dashboard'); with --revoke, only tokens with it.")
@click.option("--revoke", is_flag=True, help="Revoke the user's tokens instead of creating one.")
def token_command(email: str, label: str | None, revoke: bool) -> None:
    """Create an API token (printed once, on the last line) or revoke tokens."""
    database = open_database(cli_settings())
    try:
        with database.transaction() as session:
            user = _user(session, email)
            if revoke:
                count = revoke_tokens(session, user, label)
                audit.record(
                    session, audit.cli_actor(), "token_revoke", user.email, f"{count} token(s) {label or ''}".strip()
                )
            else:
                issued = issue_token(session, user, label)
                audit.record(
                    session, audit.cli_actor(), "token_issue", user.email, f"{issued.prefix}… {label or ''}".strip()
                )
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    if revoke:
        click.echo(f"{count} token(s) of {user.email} revoked")
        return
    click.echo(f"API token for {user.email} ({user.role}); it is shown once, keep it safe:", err=True)
    click.echo(issued.secret)
