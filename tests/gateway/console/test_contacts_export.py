"""The directory's CSV export from the console: the import format, the scope and the filters applied, numbers
only for admin and coordinators (the identity columns left out for others), every cell neutralised against
spreadsheet formulas, and an export that imports back unchanged."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from gateway.core.untrusted import FORMULA_STARTS
from gateway.directory.import_export import COLUMNS, OPTIONAL_COLUMNS
from gateway.models import AuditEntry, Contact
from tests.gateway.console.contacts_support import first_leader, footprint
from tests.gateway.console.test_contacts_import import TOKEN, confirm, send
from tests.staff_users import PHONE_SEERS, ROLES, logged_in

FORMULA = '=HYPERLINK("http://x","y")'


def rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("who", [who for who in ROLES if who != "observer"])
def test_columns_by_role(runtime, directory, app, who):
    browser = logged_in(runtime, app, who)
    response = browser.get("/console/contacts/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    header = body.splitlines()[0].split(",")
    full = list(COLUMNS + OPTIONAL_COLUMNS)
    if who in PHONE_SEERS:
        assert header == full
    else:
        assert header == [c for c in full if c not in ("phone", "telegram_id")]
        with runtime.db.sessions() as db:
            numbers = [c.phone for c in db.scalars(select(Contact))]
        assert not [n for n in numbers if n[-8:] in body], "no number, even partly"
    with runtime.db.sessions() as db:
        [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "contacts_export"))
    assert entry.actor == f"{who}@example.org"
    assert ("with numbers" if who in PHONE_SEERS else "without numbers") in entry.detail


def test_the_filters_apply_to_the_export(runtime, directory, app):
    browser = logged_in(runtime, app, "admin")
    exported = rows(browser.get("/console/contacts/export.csv?district=MACINA&role=leader"))
    assert exported and {(r["district"], r["role"]) for r in exported} == {("MACINA", "leader")}
    assert browser.get("/console/contacts/export.csv?district=NOWHERE").status_code == 400


def test_formula_cells_are_neutralised_and_the_export_imports_back_unchanged(runtime, directory, app):
    leader = first_leader(runtime, "KORO")
    with runtime.db.transaction() as db:
        contact = db.get(Contact, leader.id)
        contact.name, contact.village = FORMULA, "@SUM(1+1)"
    browser = logged_in(runtime, app, "admin")
    response = browser.get("/console/contacts/export.csv?active=all")
    exported = rows(response)
    [cells] = [r for r in exported if r["name"].endswith('HYPERLINK("http://x","y")')]
    assert cells["name"] == "'" + FORMULA and cells["village"] == "'@SUM(1+1)"
    assert cells["phone"] == "'" + leader.phone, "a + number is neutralised too"
    live = [v for r in exported for v in r.values() if v and v.startswith(FORMULA_STARTS)]
    assert live == [], "no cell a spreadsheet would run"

    before = footprint(runtime)
    preview = send(browser, response.get_data())
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200, page[-800:]
    assert f'data-created="0" data-updated="0" data-unchanged="{len(exported)}"' in page
    assert confirm(browser, TOKEN.search(page).group(1)).status_code == 200
    after = footprint(runtime)
    assert after["contacts"] == before["contacts"], "the round trip changes no contact"
    with runtime.db.sessions() as db:
        assert db.get(Contact, leader.id).name == FORMULA
