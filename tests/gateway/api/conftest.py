"""API fixtures: one staff account and API token per role, a report from KORO (Mopti region) and one from MACINA
(Ségou region), and a client helper that sends a bearer token and JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from gateway.models import Alert, AlertUpdate, AuditEntry, Escalation, Message, StaffUser
from gateway.staff.accounts import add_user, issue_token
from tests.chat import Chat
from tests.staff_users import ROLES, display_name, email_of

KORO_LEADER = "+22371581530"  # Abdoulaye Tangara, KORO
MACINA_LEADER = "+22365262635"  # Aminata Sow, MACINA
KORO_REPORT = "Les jeunes et les gendarmes se disputent au marché de Koro"
MACINA_REPORT = "Des bergers armés près du puits de Macina depuis ce matin"


@dataclass
class Staff:
    """The tokens of the seven accounts, by name."""

    tokens: dict[str, str]
    emails: dict[str, str]


@pytest.fixture
def staff(runtime, directory) -> Staff:
    """One account and one API token per role (no password: the API takes tokens)."""
    tokens, emails = {}, {}
    with runtime.db.transaction() as session:
        for name, (role, region, district) in ROLES.items():
            email = email_of(name)
            user = add_user(session, email, display_name(name), role, region, district, None)
            tokens[name] = issue_token(session, user, "tests").secret
            emails[name] = email
    return Staff(tokens=tokens, emails=emails)


@pytest.fixture
def reports(runtime, directory) -> dict[str, int]:
    """Two untriaged reports, one in KORO and one in MACINA: district code → alert ref."""
    refs = {}
    for district, phone, text in (("KORO", KORO_LEADER, KORO_REPORT), ("MACINA", MACINA_LEADER, MACINA_REPORT)):
        Chat(runtime, phone).send(text)
        with runtime.db.transaction() as session:
            alert = session.scalar(select(Alert).order_by(Alert.id.desc()).limit(1))
            assert alert.source == "freetext" and alert.district.code == district
            refs[district] = alert.id
    return refs


class Api:
    """Calls to /api/v1 as one of the staff accounts."""

    def __init__(self, client, staff: Staff) -> None:
        self.client, self.staff = client, staff

    def __call__(self, method: str, path: str, who: str | None = None, body=None, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if who is not None:
            headers["Authorization"] = f"Bearer {self.staff.tokens[who]}"
        if body is not None:
            kwargs["data"] = json.dumps(body)
            kwargs.setdefault("content_type", "application/json")
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)


@pytest.fixture
def api(client, staff) -> Api:
    """Call the API as one of the staff accounts: `api("GET", "/alerts", "admin")`."""
    return Api(client, staff)


def footprint(runtime) -> dict:
    """What a write would change: rows of the tables the desk writes to, the alerts' statuses and categories."""
    with runtime.db.transaction() as session:
        tables = (AlertUpdate, AuditEntry, Escalation, Message)
        count = {m.__name__: session.scalar(select(func.count()).select_from(m)) for m in tables}
        count["alerts"] = [(a.id, a.status, a.category, a.severity) for a in session.scalars(select(Alert))]
        count["disabled"] = [u.disabled_at for u in session.scalars(select(StaffUser).order_by(StaffUser.id))]
    return count


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is the nested JSON error with this status (and code); its error object."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["message"], "a clear reason"
    if code is not None:
        assert body["error"]["code"] == code, body
    return body["error"]
