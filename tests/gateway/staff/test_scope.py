"""The access table: each staff role sees the alerts of its scope and nothing else, through the one query helper
every read goes through (`scoped_alerts`, `visible_alert`); who may ask for a reporter's identity (`may_reveal`)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from gateway.models import Alert
from gateway.staff.scope import Scope, may_reveal, scoped_alerts, visible_alert
from tests.chat import Chat
from tests.staff_users import make_user

# One alert per place: #1 KORO (Mopti), #2 MACINA (Ségou), #3 SEGOU (Ségou, an untriaged report), #4 a report from
# a number outside the directory (no district, no region).
REPORTS = [
    ("+22376972134", "ALERTE 2 dispute au marché de Koro"),  # Abdoulaye Togo, KORO
    ("+22365262635", "ALERTE 2 dispute au puits de Kokry"),  # Aminata Sow, MACINA
    ("+22379884965", "Des jeunes se battent à Markala"),  # Ibrahim Maïga, SEGOU
    ("+22370000042", "Des hommes armés au marché"),  # outside the directory
]
KORO, MACINA, SEGOU, OUTSIDE = 1, 2, 3, 4

USERS = {
    "admin": ("admin", None, None),
    "coordinator Mopti": ("coordinator", "Mopti", None),
    "coordinator segou": ("coordinator", "segou", None),
    "facilitator KORO": ("facilitator", None, "KORO"),
    "officer MACINA": ("officer", None, "MACINA"),
    "observer": ("observer", None, None),
}
VISIBLE = {
    "admin": {KORO, MACINA, SEGOU, OUTSIDE},
    "coordinator Mopti": {KORO},
    "coordinator segou": {MACINA, SEGOU},
    "facilitator KORO": {KORO},
    "officer MACINA": {MACINA},
    "observer": {KORO, MACINA, SEGOU, OUTSIDE},
}
MAY_REVEAL = {
    "admin": {KORO, MACINA, SEGOU, OUTSIDE},
    "coordinator Mopti": {KORO},
    "coordinator segou": {MACINA, SEGOU},
    "facilitator KORO": set(),
    "officer MACINA": set(),
    "observer": set(),
}


@pytest.fixture
def scopes(runtime, directory) -> dict[str, Scope]:
    """The four alerts, and one account per line of USERS."""
    for phone, text in REPORTS:
        Chat(runtime, phone).send(text)
    out = {}
    for label, (role, region, district) in USERS.items():
        email = label.replace(" ", ".").lower() + "@example.org"
        out[label] = make_user(runtime, email, role, region, district)
    return out


def test_the_alerts_are_where_the_table_says(runtime, scopes):
    with runtime.db.transaction() as session:
        places = [(a.id, a.district.code if a.district else None) for a in session.scalars(select(Alert))]
    assert places == [(KORO, "KORO"), (MACINA, "MACINA"), (SEGOU, "SEGOU"), (OUTSIDE, None)]


def test_the_segou_coordinator_is_stored_with_the_directorys_spelling(scopes):
    assert scopes["coordinator segou"].region == "Ségou"


@pytest.mark.parametrize("who", list(USERS))
def test_scoped_alerts(runtime, scopes, who):
    with runtime.db.transaction() as session:
        seen = set(session.scalars(scoped_alerts(session, scopes[who], select(Alert.id))))
        everything = {a.id for a in session.scalars(scoped_alerts(session, scopes[who]))}
    assert seen == everything == VISIBLE[who]


@pytest.mark.parametrize("who", list(USERS))
def test_visible_alert(runtime, scopes, who):
    with runtime.db.transaction() as session:
        found = {ref: getattr(visible_alert(session, scopes[who], ref), "id", None) for ref in (1, 2, 3, 4, 99)}
    assert found == {ref: ref if ref in VISIBLE[who] else None for ref in (1, 2, 3, 4, 99)}


def test_a_query_given_is_narrowed_not_replaced(runtime, scopes):
    with runtime.db.transaction() as session:
        query = select(Alert.id).where(Alert.source == "oneshot")
        assert set(session.scalars(scoped_alerts(session, scopes["coordinator segou"], query))) == {MACINA}
        assert set(session.scalars(scoped_alerts(session, scopes["admin"], query))) == {KORO, MACINA}


@pytest.mark.parametrize("spelling", ["segou", "SEGOU", "Ségou", "SÉGOU"])
def test_a_coordinators_region_matches_alerts_whatever_its_spelling(runtime, scopes, spelling):
    scope = Scope(user_id=99, email="c@example.org", name="C", role="coordinator", region=spelling)
    with runtime.db.transaction() as session:
        assert set(session.scalars(scoped_alerts(session, scope, select(Alert.id)))) == {MACINA, SEGOU}


def test_an_alert_with_a_region_but_no_district_is_seen_by_that_regions_coordinator(runtime, scopes):
    with runtime.db.transaction() as session:  # e.g. a level-2 report naming only its region
        session.execute(update(Alert).where(Alert.id == OUTSIDE).values(region="SÉGOU"))
    with runtime.db.transaction() as session:
        assert visible_alert(session, scopes["coordinator segou"], OUTSIDE) is not None
        assert visible_alert(session, scopes["coordinator Mopti"], OUTSIDE) is None
        assert visible_alert(session, scopes["officer MACINA"], OUTSIDE) is None


def test_a_coordinator_of_a_region_without_districts_or_a_district_role_without_one_sees_nothing(runtime, scopes):
    nowhere = [
        Scope(user_id=98, email="k@example.org", name="K", role="coordinator", region="Kayes"),
        Scope(user_id=97, email="o@example.org", name="O", role="officer", district_id=None),
        Scope(user_id=96, email="f@example.org", name="F", role="facilitator", district_id=None),
    ]
    with runtime.db.transaction() as session:
        assert [list(session.scalars(scoped_alerts(session, s, select(Alert.id)))) for s in nowhere] == [[], [], []]


def test_scope_of_a_user_reads_role_and_place(scopes):
    assert scopes["facilitator KORO"].district_code == "KORO" and scopes["facilitator KORO"].region is None
    assert (scopes["observer"].read_only, scopes["observer"].reads_bodies) == (True, False)
    assert not any(scopes[w].read_only or not scopes[w].reads_bodies for w in USERS if w != "observer")


@pytest.mark.parametrize("who", list(USERS))
def test_may_reveal(runtime, scopes, who):
    with runtime.db.transaction() as session:
        allowed = {a.id for a in session.scalars(select(Alert)) if may_reveal(session, scopes[who], a)}
    assert allowed == MAY_REVEAL[who]
