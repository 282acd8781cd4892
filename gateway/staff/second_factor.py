"""The staff second factor: TOTP codes (pyotp) that cannot be replayed, one-use recovery codes, and who must use it."""

from __future__ import annotations

import hmac
import json
import secrets
import time

import pyotp
import segno
from sqlalchemy import or_, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from gateway.models import StaffUser
from gateway.staff.roles import StaffRole

ISSUER = "Gateway"
STEP_SECONDS = 30  # pyotp's default; authenticator apps assume it
VALID_WINDOW = 1  # one step either side: a phone's clock a little off still works
RECOVERY_CODE_COUNT = 10
# No 0/o, 1/l/i: the codes are copied from paper.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 10  # about 50 bits each
# A slow hash: the codes are random, but a copy of the database must not give them away.
RECOVERY_HASH_METHOD = "pbkdf2:sha256:60000"


def required_for(user: StaffUser, policy: str) -> bool:
    """Whether this account must use a second factor (CONSOLE_REQUIRE_2FA: `admin` or `all`)."""
    return policy == "all" or user.role == StaffRole.ADMIN


def new_secret() -> str:
    """A fresh random TOTP secret (base32, 160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code of `uri` as an SVG data URI (an <img> the CSP allows; no script, no inline style)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4, light="#fff")


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose TOTP code this is (within the allowed window), else None."""
    code = (code or "").strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit() or not secret:
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _claim_step(db: Session, user: StaffUser, step: int) -> bool:
    """Record `step` as used, only if no later or equal step was (compare-and-set: two tabs racing use it once)."""
    claimed = db.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id, or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return False
    user.totp_last_step = step
    return True


def normalise_recovery(code: str) -> str:
    """A recovery code as stored: lower case, without spaces or dashes."""
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def new_recovery_codes() -> list[str]:
    """Fresh recovery codes, as shown to the user once (`xxxxx-xxxxx`)."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def hashed_codes(codes: list[str]) -> str:
    """The JSON list of hashes kept in `recovery_codes`."""
    return json.dumps([generate_password_hash(normalise_recovery(c), method=RECOVERY_HASH_METHOD) for c in codes])


def remaining_recovery_codes(user: StaffUser) -> int:
    """How many recovery codes the user has left."""
    try:
        return len(json.loads(user.recovery_codes or "[]"))
    except ValueError:
        return 0


def _use_recovery_code(db: Session, user: StaffUser, code: str) -> bool:
    """Consume a matching recovery code (compare-and-set on the stored list: a code works once)."""
    given = normalise_recovery(code)
    if len(given) != RECOVERY_LENGTH or not user.recovery_codes:
        return False
    stored = user.recovery_codes
    hashes = json.loads(stored)
    for index, hashed in enumerate(hashes):
        if check_password_hash(hashed, given):
            left = json.dumps(hashes[:index] + hashes[index + 1 :])
            done = db.execute(
                update(StaffUser)
                .where(StaffUser.id == user.id, StaffUser.recovery_codes == stored)
                .values(recovery_codes=left)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:
                return False
            user.recovery_codes = left
            return True
    return False


def verify(db: Session, user: StaffUser, code: str, now: float | None = None) -> str | None:
    """Check a second factor: "totp" or "recovery" when accepted (and consumed), None when refused (wrong,
    replayed, or no second factor set up)."""
    if not user.totp_secret:
        return None
    step = matching_step(user.totp_secret, code, now)
    if step is not None:
        return "totp" if _claim_step(db, user, step) else None
    return "recovery" if _use_recovery_code(db, user, code) else None


def enrol(db: Session, user: StaffUser, secret: str, code: str, now: float | None = None) -> list[str] | None:
    """Turn the second factor on when `code` proves the app holds `secret`: the new recovery codes (shown once),
    or None when the code is wrong."""
    step = matching_step(secret, code, now)
    if step is None:
        return None
    codes = new_recovery_codes()
    user.totp_secret = secret
    user.recovery_codes = hashed_codes(codes)
    user.totp_last_step = step  # the code just typed cannot also log in
    return codes


def disable(user: StaffUser) -> None:
    """Turn the second factor off (its secret, recovery codes and last step forgotten)."""
    user.totp_secret = None
    user.recovery_codes = None
    user.totp_last_step = None
