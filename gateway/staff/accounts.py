"""Staff accounts: create, disable, reset a password, issue and revoke API tokens, check a login or a token."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from gateway.directory.phones import InvalidPhone, to_e164
from gateway.models import ApiToken, Contact, District, Role, StaffUser, utcnow
from gateway.staff.roles import ScopeError, check_scope, fold

MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "gwt_"
# Checked against when the email is unknown, so that a wrong email costs as much time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")


class AccountError(ValueError):
    """A refused account operation, with a one-line reason."""


@dataclass(frozen=True)
class IssuedToken:
    """A new API token: `secret` is shown once and never stored."""

    secret: str
    prefix: str
    label: str | None


def normalise_email(email: str) -> str:
    """Emails compared and stored lower-case, without surrounding spaces."""
    address = (email or "").strip().lower()
    if "@" not in address or len(address) > 200 or any(ch.isspace() for ch in address):
        raise AccountError(f"{email!r} is not an email address")
    return address


def hash_password(password: str) -> str:
    """werkzeug's scrypt hash of a password long enough to resist guessing."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    return generate_password_hash(password, method="scrypt")


def find_user(session: Session, email: str) -> StaffUser | None:
    """The account with this email (any case), or None."""
    return session.scalar(select(StaffUser).where(StaffUser.email == (email or "").strip().lower()))


def _region_as_in_directory(session: Session, region: str) -> str:
    """The region's spelling in the directory, matched without regard to case or accents."""
    known = sorted({r for r in session.scalars(select(District.region)) if r})
    for name in known:
        if fold(name) == fold(region):
            return name
    raise AccountError(f"unknown region {region!r} (known: {', '.join(known) or 'none imported yet'})")


def add_user(
    session: Session, email: str, name: str, role: str, region: str | None, district: str | None, password: str | None
) -> StaffUser:
    """A new account; refused (AccountError) for a taken email, a bad role/scope or an unknown place."""
    address = normalise_email(email)
    if not (name or "").strip():
        raise AccountError("a name is required (--name)")
    try:
        staff_role = check_scope(role, region, district)
    except ScopeError as exc:
        raise AccountError(str(exc)) from None
    if find_user(session, address) is not None:
        raise AccountError(f"an account for {address} exists already")
    user = StaffUser(email=address, name=name.strip(), role=staff_role.value, created_at=utcnow())
    if district:
        found = session.scalar(select(District).where(func.upper(District.code) == district.strip().upper()))
        if found is None:
            codes = ", ".join(session.scalars(select(District.code).order_by(District.code))) or "none imported yet"
            raise AccountError(f"unknown district {district!r} (known: {codes})")
        user.district_id = found.id
    if region:
        user.region = _region_as_in_directory(session, region)
    if password is not None:
        user.password_hash = hash_password(password)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> StaffUser | None:
    """The active account whose password this is, else None (same work whether or not the email exists)."""
    user = find_user(session, email)
    stored = user.password_hash if user is not None and user.password_hash else _DUMMY_HASH
    valid = check_password_hash(stored, password or "")
    if user is None or not valid or user.password_hash is None or user.disabled_at is not None:
        return None
    return user


def issue_token(session: Session, user: StaffUser, label: str | None) -> IssuedToken:
    """A new random API token for the user; only its SHA-256 is stored."""
    if user.disabled_at is not None:
        raise AccountError(f"{user.email} is disabled")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    prefix = secret[: len(TOKEN_PREFIX) + 6]
    session.add(ApiToken(user_id=user.id, label=label, token_hash=token_hash(secret), prefix=prefix))
    session.flush()
    return IssuedToken(secret=secret, prefix=prefix, label=label)


def token_hash(secret: str) -> str:
    """How a token is kept: its SHA-256 (a token is random and long, so no slow hash is needed)."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def revoke_tokens(session: Session, user: StaffUser, label: str | None = None) -> int:
    """Revoke the user's live tokens (only those with this label, when given); how many were revoked."""
    query = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if label is not None:
        query = query.where(ApiToken.label == label)
    tokens = list(session.scalars(query))
    for token in tokens:
        token.revoked_at = utcnow()
    return len(tokens)


def user_for_token(session: Session, secret: str) -> StaffUser | None:
    """The active user a live token belongs to, else None; marks the token used."""
    if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash(secret)))
    if token is None or token.revoked_at is not None or token.user.disabled_at is not None:
        return None
    token.last_used_at = utcnow()
    return token.user


def link_contact(session: Session, user: StaffUser, phone: str | None) -> Contact | None:
    """Link the account to the same person's directory entry (an officer or facilitator), or unlink it (None).

    Linked, a take from the console is that officer's take: the resolve reminder goes to their phone, they are not
    told of their own action, and their `OK` by SMS afterwards is not "taken by someone else"."""
    if phone is None:
        user.contact_id = None
        return None
    try:
        e164 = to_e164(phone)
    except InvalidPhone as exc:
        raise AccountError(f"{phone!r}: {exc}") from None
    contact = session.scalar(select(Contact).where(Contact.phone == e164))
    if contact is None or not contact.active:
        raise AccountError("no active directory contact with that phone number")
    if contact.role not in (Role.OFFICER, Role.FACILITATOR):
        raise AccountError(f"that contact is a {contact.role}: only an officer or a facilitator can be linked")
    other = session.scalar(select(StaffUser).where(StaffUser.contact_id == contact.id, StaffUser.id != user.id))
    if other is not None:
        raise AccountError(f"that contact is already linked to {other.email}")
    user.contact_id = contact.id
    return contact
