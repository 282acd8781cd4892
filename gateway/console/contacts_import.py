"""The directory CSV imported through the browser, for the admin: upload → a dry-run preview (each bad line with
its number and reason, as `gateway contacts import --dry-run` prints them; the counts of new / updated / unchanged)
→ confirm. Nothing is written unless the whole file is valid; the file waits in Redis under a token bound to the
user (an hour), and confirming it twice imports it once."""

from __future__ import annotations

from flask import abort, g, render_template, request
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import RequestEntityTooLarge

from gateway.console import console, login_required, runtime
from gateway.console.errors import page as error_page
from gateway.console.texts import t
from gateway.directory import upload
from gateway.staff.roles import StaffRole

# Shown at most; the rest are counted (as the CLI does).
MAX_ERRORS_SHOWN = 50
# The multipart envelope around the file (boundaries, the CSRF token, the file's name).
ENVELOPE_BYTES = 64 * 1024


class _NotImported(Exception):
    """Raised inside the import's transaction to roll it back."""


def _admin() -> None:
    if g.scope.role != StaffRole.ADMIN:
        abort(403)


def _page(status: int = 200, **context):
    context.setdefault("max_mb", upload.MAX_UPLOAD_BYTES // (1024 * 1024))
    context.setdefault("shown", MAX_ERRORS_SHOWN)
    return render_template("console/contacts_import.html", **context), status


def _too_large():
    return _page(413, problem=t("import.error.too_large", mb=upload.MAX_UPLOAD_BYTES // (1024 * 1024)))


def _uploaded() -> tuple[str, bytes]:
    """The file's name and bytes (UploadError when there is none, or it is too large)."""
    file = request.files.get("file")
    if file is None or not file.filename:
        raise upload.UploadError("no_file")
    data = file.stream.read(upload.MAX_UPLOAD_BYTES + 1)
    if len(data) > upload.MAX_UPLOAD_BYTES:
        raise upload.UploadError("too_large")
    return file.filename[-200:], data


@console.route("/contacts/import", methods=["GET", "POST"])
@login_required
def contacts_import():
    """GET: the upload form. POST: the preview of the uploaded file (nothing written)."""
    _admin()
    if request.method == "GET":
        return _page()
    try:
        filename, data = _uploaded()
        text = upload.decode(data)
        preview = upload.dry_run(runtime().db, text)
    except RequestEntityTooLarge:
        return _too_large()
    except upload.UploadError as exc:
        if exc.code == "too_large":
            return _too_large()
        mb = upload.MAX_UPLOAD_BYTES // (1024 * 1024)
        return _page(400, problem=t(f"import.error.{exc.code}", mb=mb), detail=exc.detail)
    if not preview.importable:
        return _page(400, filename=filename, preview=preview)
    token = upload.keep(runtime().redis, g.scope.user_id, filename, text)
    return _page(filename=filename, preview=preview, token=token)


contacts_import.max_body_bytes = upload.MAX_UPLOAD_BYTES + ENVELOPE_BYTES


@console.route("/contacts/import/confirm", methods=["POST"])
@login_required
def contacts_import_confirm():
    """Import the previewed file once: a second click (or a reload) shows the first import's outcome."""
    _admin()
    redis, token = runtime().redis, request.form.get("token", "")
    kept = upload.pending(redis, g.scope.user_id, token)
    if kept is None:
        done = upload.outcome_of(redis, token) if upload.token_ok(token) else None
        if done is not None and done.get("user") == g.scope.user_id:
            return _page(imported=done, again=True)
        return _page(410, problem=t("import.error.expired"))
    if not upload.claim(redis, token):
        done = upload.outcome_of(redis, token) or {"running": True}
        return _page(imported=done, again=True)
    outcome = None
    try:
        outcome = _import(kept)
    finally:
        upload.finish(redis, token, outcome if outcome and "created" in outcome else None)
    if "created" not in outcome:
        return _page(409, filename=kept["filename"], preview=outcome["preview"])
    return _page(imported=outcome)


def _import(kept: dict) -> dict:
    """Apply the kept file in one transaction; {"preview"} when the directory changed since and a line no longer
    fits (nothing written), else the counts."""
    try:
        with runtime().db.transaction() as db:
            result = upload.import_file(db, g.scope.email, kept["filename"], kept["text"])
            if not result.importable:
                raise _NotImported
            report = result.report
    except _NotImported:
        return {"preview": result}
    except IntegrityError:
        return {"preview": upload.Preview(conflict=True)}
    return {
        "user": g.scope.user_id,
        "filename": kept["filename"],
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "districts": report.districts_created,
    }


@console.errorhandler(413)
def too_large(exc):
    """Over the upload limit: the import page says so in the user's words; elsewhere the console's error page."""
    if request.endpoint == "console.contacts_import":
        return _too_large()
    return error_page(exc)
