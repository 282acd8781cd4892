"""The directory CSV imported through the browser: a dry-run preview (bad lines with their numbers and reasons,
counts of new / updated / unchanged) then a confirmation that imports once; every unusable file (too large, not
UTF-8, empty, wrong columns, a bad line) refused with a clear message and nothing written."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from gateway.directory import upload
from gateway.models import AuditEntry, Contact
from tests.gateway.console.auth_support import add_staff, code_now, log_in
from tests.gateway.console.contacts_support import csv_text, footprint, form_post
from tests.staff_users import logged_in

NEW = "Awa Traoré,+22376123456,,leader,Mopti,KORO,Konna,Kotaka,fr,sms,,"
BAD_PHONE = "Ali Cissé,12,,leader,Mopti,KORO,Koro,,fr,sms,,"
TOKEN = re.compile(r'name="token" value="([^"]+)"')


@pytest.fixture
def admin(runtime, directory, app):
    """A browser logged in as the admin."""
    return logged_in(runtime, app, "admin")


def send(browser, data: bytes, name: str = "directory.csv", language: str = "fr"):
    """Upload a file to the preview, as the form does."""
    files = {"file": (io.BytesIO(data), name)}
    return form_post(browser, "/console/contacts/import", files, token_from="/console/contacts/import",
                     headers={"Accept-Language": language})  # fmt: skip


def confirm(browser, token: str):
    """Press the confirm button of a preview."""
    return form_post(browser, "/console/contacts/import/confirm", {"token": token}, "/console/contacts/import")


def text(response) -> str:
    return response.get_data(as_text=True)


def imports(runtime) -> list[AuditEntry]:
    with runtime.db.sessions() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == "contacts_import")))


def test_preview_then_confirm_imports_once(runtime, admin):
    before = footprint(runtime)
    preview = send(admin, csv_text(NEW, "Moussa Diarra,+22376123457,,leader,Ségou,MACINA,Macina,,bm,sms,,").encode())
    assert preview.status_code == 200
    page = text(preview)
    assert 'data-created="2" data-updated="0" data-unchanged="0"' in page
    assert footprint(runtime) == before, "a preview writes nothing"
    token = TOKEN.search(page).group(1)
    done = confirm(admin, token)
    assert done.status_code == 200 and "Importé : 2 nouveau(x)" in text(done)
    with runtime.db.sessions() as db:
        awa = db.scalar(select(Contact).where(Contact.phone == "+22376123456"))
        assert awa.name == "Awa Traoré" and awa.district.code == "KORO"
    [entry] = imports(runtime)
    assert entry.actor == "admin@example.org" and "2 new, 0 updated" in entry.detail
    after = footprint(runtime)
    again = confirm(admin, token)  # a double click, a reload of the confirmation
    assert again.status_code == 200 and "déjà importé" in text(again)
    assert footprint(runtime) == after and len(imports(runtime)) == 1, "imported once"


def test_a_file_with_one_bad_line_is_refused_with_its_number(runtime, admin):
    before = footprint(runtime)
    refused = send(admin, csv_text(NEW, BAD_PHONE).encode())
    assert refused.status_code == 400
    page = text(refused)
    assert '<tr data-line="3"><td>3</td><td>phone &#39;12&#39;: not a valid phone number</td></tr>' in page
    assert "1 ligne(s) invalide(s). Rien n&#39;a été écrit" in page
    assert 'name="token"' not in page, "no confirm button"
    assert footprint(runtime) == before


def test_a_confirmation_token_is_bound_to_its_user(runtime, admin, app):
    token = TOKEN.search(text(send(admin, csv_text(NEW).encode()))).group(1)
    factor = add_staff(runtime, "second@example.org", role="admin", totp=True)
    other = app.test_client()
    assert log_in(other, "second@example.org", otp=code_now(factor.secret)).status_code == 302
    before = footprint(runtime)
    refused = confirm(other, token)
    assert refused.status_code == 410 and "pas le vôtre" in text(refused)
    assert confirm(admin, "not-the-token").status_code == 410
    assert footprint(runtime) == before
    assert confirm(admin, token).status_code == 200, "the owner still can"


def test_a_preview_expires(runtime, admin):
    token = TOKEN.search(text(send(admin, csv_text(NEW).encode()))).group(1)
    runtime.redis.delete(upload.PENDING_KEY + token)
    before = footprint(runtime)
    expired = confirm(admin, token)
    assert expired.status_code == 410 and "expiré" in text(expired)
    assert footprint(runtime) == before


def test_a_utf8_bom_and_semicolons_are_accepted(runtime, admin):
    data = ("\ufeff" + csv_text(NEW).replace(",", ";")).encode("utf-8")
    preview = send(admin, data)
    assert preview.status_code == 200 and 'data-created="1"' in text(preview)


BIG = upload.MAX_UPLOAD_BYTES + 1
BAD_FILES = {
    "over 10 MB": (csv_text(NEW).encode() + b"#" * BIG, 413, "10 Mo au plus"),
    "latin-1": (csv_text(NEW).encode("latin-1"), 400, "pas en UTF-8"),
    "utf-16": (csv_text(NEW).encode("utf-16"), 400, "UTF-16"),
    "utf-16 without BOM": (csv_text(NEW).encode("utf-16-le"), 400, "UTF-16"),
    "empty": (b"", 400, "Le fichier est vide"),
    "blank lines": (b"\r\n\r\n", 400, "Le fichier est vide"),
    "header only": (csv_text().encode(), 400, "aucune ligne de contact"),
    "missing column": (csv_text(NEW).replace(",channel", "").encode(), 400, "missing column(s): channel"),
    "unknown column": (csv_text(NEW).replace("discreet", "secret").encode(), 400, "unknown column(s): secret"),
    "bad phone": (csv_text(BAD_PHONE).encode(), 400, "not a valid phone number"),
    "bad role": (csv_text(NEW.replace("leader", "chief")).encode(), 400, "role &#39;chief&#39;"),
    "duplicate phone": (csv_text(NEW, NEW.replace("Awa", "Awa bis")).encode(), 400, "same phone as line 2"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_unusable_files_are_refused_clearly_and_write_nothing(runtime, admin, name):
    data, status, message = BAD_FILES[name]
    before = footprint(runtime)
    pending = len(runtime.redis.keys(upload.PENDING_KEY + "*"))
    response = send(admin, data)
    assert response.status_code == status, text(response)[:500]
    assert message in text(response)
    assert "Traceback" not in text(response)
    assert footprint(runtime) == before
    assert len(runtime.redis.keys(upload.PENDING_KEY + "*")) == pending, "nothing kept for a refused file"


def test_no_file_chosen(runtime, admin):
    before = footprint(runtime)
    response = form_post(admin, "/console/contacts/import", {}, token_from="/console/contacts/import")
    assert response.status_code == 400 and "Choisissez un fichier CSV" in text(response)
    assert footprint(runtime) == before


def test_a_body_over_the_limit_is_refused_before_it_is_read(runtime, admin):
    """Content-Length over 10 MB: the app answers 413 with the import page's message, in English when asked."""
    before = footprint(runtime)
    data = b"x" * (upload.MAX_UPLOAD_BYTES + 200 * 1024)
    response = send(admin, data, language="en")
    assert response.status_code == 413
    assert "File too large: at most 10 MB" in text(response)
    assert footprint(runtime) == before


def test_other_forms_keep_the_small_limit(runtime, admin):
    """Only the upload takes 10 MB: any other form over 64 KiB is refused as before."""
    response = form_post(admin, "/console/contacts/1/edit", {"name": "x" * 70_000}, "/console/contacts/import")
    assert response.status_code == 413


def test_a_stranger_cannot_send_a_large_body(runtime, directory, client):
    """Without a signed-in session the upload route keeps the small limit: nothing big is parsed."""
    before = footprint(runtime)
    files = {"file": (io.BytesIO(b"x" * 100_000), "big.csv")}
    response = client.post("/console/contacts/import", data=files, content_type="multipart/form-data")
    assert response.status_code == 413
    assert footprint(runtime) == before


def test_a_directory_changed_since_the_preview_is_refused_at_confirmation(runtime, admin):
    """Between preview and confirm someone else got the file's Telegram id: nothing is written, the line is named."""
    line = NEW.replace(",,leader", ",4242424242,leader")
    token = TOKEN.search(text(send(admin, csv_text(line).encode()))).group(1)
    with runtime.db.transaction() as db:
        db.scalars(select(Contact).order_by(Contact.id)).first().telegram_id = 4242424242
    before = footprint(runtime)
    refused = confirm(admin, token)
    assert refused.status_code == 409
    assert '<tr data-line="2"><td>2</td><td>telegram_id already belongs to another contact</td></tr>' in text(refused)
    assert footprint(runtime) == before and imports(runtime) == []
