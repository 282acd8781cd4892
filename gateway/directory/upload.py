"""The directory CSV imported through the browser: the uploaded bytes decoded (UTF-8, with or without BOM; anything
else refused with a reason), a dry run that reports exactly what `gateway contacts import --dry-run` would, the file
kept in Redis between the preview and the confirmation (under a random token bound to the staff user, with a TTL),
and a confirmation that imports once however many times it is clicked."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gateway.core import audit
from gateway.core.privacy import mask_phone_numbers
from gateway.directory.import_export import DirectoryError, ImportReport, RowError, apply_rows, read_rows, validate
from workers.queues import KEY_PREFIX

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
PENDING_KEY = KEY_PREFIX + "csvimport:"
DONE_KEY = KEY_PREFIX + "csvimport-done:"
PENDING_TTL_SECONDS = 3600  # a preview is confirmed within the hour, or uploaded again


class UploadError(ValueError):
    """The file as a whole cannot be read: `code` names the reason (console text `import.error.<code>`), `detail`
    adds the import's own words (missing columns…)."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code, self.detail = code, detail


def decode(data: bytes) -> str:
    """The file's text. UTF-8 (a BOM, as Excel's "CSV UTF-8" writes, is accepted); UTF-16 (Excel's "Unicode text")
    and Latin-1/Windows-1252 are refused, not guessed: the same bytes read differently in each, and a wrong guess
    would store wrong names for people. The message says to save the file as "CSV UTF-8"."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise UploadError("empty")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data:
        raise UploadError("utf16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadError("not_utf8") from None


@dataclass
class Preview:
    """What the file would do: bad lines (nothing can be imported), or the counts of a clean dry run."""

    report: ImportReport | None = None
    errors: list[RowError] = field(default_factory=list)
    conflict: bool = False

    @property
    def importable(self) -> bool:
        """The whole file is valid and fits the stored directory."""
        return self.report is not None and not self.errors and not self.conflict


class _RolledBack(Exception):
    """Raised inside the transaction to undo a dry run."""


def dry_run(db, text: str) -> Preview:
    """Read, validate and apply the file in a transaction that is rolled back (as the CLI's --dry-run)."""
    try:
        rows = read_rows(text)
    except DirectoryError as exc:
        raise UploadError("columns", str(exc)) from None
    if not rows:
        raise UploadError("no_rows")
    valid, errors = validate(rows)
    if errors:
        return Preview(errors=errors)
    preview = Preview()
    try:
        with db.transaction() as session:
            preview.report = apply_rows(session, valid)
            session.flush()
            raise _RolledBack
    except _RolledBack:
        pass
    except IntegrityError:
        return Preview(conflict=True)
    preview.errors = list(preview.report.errors)
    return preview


def import_file(session: Session, actor: str, filename: str, text: str) -> Preview:
    """Apply the file in the caller's transaction and audit it (counts and the masked file name, never a row).
    When any line fails against the stored directory the caller must roll back: the preview says so."""
    valid, errors = validate(read_rows(text))
    if errors:
        return Preview(errors=errors)
    report = apply_rows(session, valid)
    if report.errors:
        return Preview(report=report, errors=list(report.errors))
    session.flush()
    detail = (
        f"{mask_phone_numbers(filename)}: {report.created} new, {report.updated} updated, "
        f"{report.unchanged} unchanged; {len(report.districts_created)} new district(s)"
    )
    audit.record(session, actor, "contacts_import", "directory", detail)
    return Preview(report=report)


def keep(redis, user_id: int, filename: str, text: str) -> str:
    """Keep the previewed file for its confirmation; the token to confirm it with."""
    token = secrets.token_urlsafe(18)
    payload = json.dumps({"user": user_id, "filename": filename, "text": text})
    redis.set(PENDING_KEY + token, payload, ex=PENDING_TTL_SECONDS)
    return token


def token_ok(token: str) -> bool:
    """Whether the text can be a token of `keep` (anything else is never looked up)."""
    return (
        bool(token)
        and len(token) <= 64
        and token.replace("-", "").replace("_", "").isascii()
        and (token.replace("-", "").replace("_", "").isalnum())
    )


def pending(redis, user_id: int, token: str) -> dict | None:
    """The kept file of this token if it belongs to this user (else None: expired, unknown or someone else's)."""
    if not token_ok(token):
        return None
    raw = redis.get(PENDING_KEY + token)
    if raw is None:
        return None
    payload = json.loads(raw)
    return payload if payload.get("user") == user_id else None


def claim(redis, token: str) -> bool:
    """True for the first confirmation of this token only (a double click imports once)."""
    return bool(redis.set(DONE_KEY + token, "running", nx=True, ex=PENDING_TTL_SECONDS))


def finish(redis, token: str, outcome: dict | None) -> None:
    """After the confirmation: the kept file dropped and the outcome remembered for a second click (None: the
    import did not happen; the claim is released so the same preview can be confirmed again)."""
    if outcome is None:
        redis.delete(DONE_KEY + token)
        return
    redis.set(DONE_KEY + token, json.dumps(outcome), ex=PENDING_TTL_SECONDS)
    redis.delete(PENDING_KEY + token)


def outcome_of(redis, token: str) -> dict | None:
    """The remembered outcome of a confirmed token ({"running": True} while it runs)."""
    raw = redis.get(DONE_KEY + token)
    if raw is None:
        return None
    text = raw.decode() if isinstance(raw, bytes) else raw
    return {"running": True} if text == "running" else json.loads(text)
