"""The one table of alert statuses and of who may do what (DESIGN, "What each role may do to an alert"), checked
pair by pair against DESIGN's rules, and the compare-and-set move that lets a race between two staff move an alert
once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest
from sqlalchemy import select, update

from gateway.alerts.status import ACTION_FOR_STATUS, REQUESTABLE, Action, can_move, is_open, may, move
from gateway.models import Alert, AlertStatus
from gateway.staff.roles import StaffRole
from tests.chat import Chat

STATUSES = [s.value for s in AlertStatus]
# DESIGN: new → acknowledged → verified → resolved (forward, a step may be skipped: new → resolved); any open status
# → false_alarm; resolved and false_alarm are final; `incomplete` (a guided report cut short) is open like `new`.
FORWARD = ["new", "acknowledged", "verified", "resolved"]
OPEN = {"new", "incomplete", "acknowledged", "verified"}


def design_allows(current: str, target: str) -> bool:
    if current not in OPEN or current == target:
        return False
    if target == "false_alarm":
        return True
    if target not in FORWARD:
        return False
    rank = FORWARD.index("new" if current == "incomplete" else current)
    return FORWARD.index(target) > rank


@pytest.mark.parametrize("target", STATUSES)
@pytest.mark.parametrize("current", STATUSES)
def test_every_move_against_design(current, target):
    assert can_move(current, target) is design_allows(current, target)


def test_the_rules_read_as_design_writes_them():
    assert all(can_move(a, b) for a, b in [("new", "acknowledged"), ("acknowledged", "verified")])
    assert all(can_move(a, b) for a, b in [("verified", "resolved"), ("new", "resolved")])
    assert all(can_move(s, "false_alarm") for s in OPEN)
    assert not any(can_move(final, s) for final in ("resolved", "false_alarm") for s in STATUSES)
    assert not any(can_move(s, s) for s in STATUSES)
    assert not can_move("verified", "acknowledged") and not can_move("acknowledged", "new")
    assert not can_move("new", "closed") and not can_move("closed", "resolved"), "unknown statuses move nowhere"
    assert {s for s in STATUSES if is_open(s)} == OPEN


# DESIGN: triage, verify, add a note, reply — admin, coordinator, facilitator, officer; take (acknowledge), resolve,
# mark false alarm — admin, coordinator, officer. The observer does nothing.
DESK = {"admin", "coordinator", "facilitator", "officer"}
RESPONDERS = {"admin", "coordinator", "officer"}
ROLES_FOR = {
    Action.TRIAGE: DESK,
    Action.VERIFY: DESK,
    Action.NOTE: DESK,
    Action.REPLY: DESK,
    Action.TAKE: RESPONDERS,
    Action.RESOLVE: RESPONDERS,
    Action.FALSE_ALARM: RESPONDERS,
}


def test_the_table_names_every_action():
    assert set(ROLES_FOR) == set(Action)


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("role", [r.value for r in StaffRole])
def test_roles_per_action(role, action):
    assert may(role, action) is (role in ROLES_FOR[action])


def test_each_requestable_status_is_one_action():
    assert REQUESTABLE == {"acknowledged", "verified", "resolved", "false_alarm"}
    assert ACTION_FOR_STATUS == {
        "acknowledged": Action.TAKE,
        "verified": Action.VERIFY,
        "resolved": Action.RESOLVE,
        "false_alarm": Action.FALSE_ALARM,
    }
    assert "new" not in REQUESTABLE and "incomplete" not in REQUESTABLE


@pytest.fixture
def alert_id(runtime, directory) -> int:
    """Alert #1, new."""
    Chat(runtime, "+22371139685").send("ALERTE 2 les jeunes se disputent au puits")
    return 1


def status_in_db(runtime, alert_id: int) -> str:
    with runtime.db.transaction() as session:
        return session.scalar(select(Alert.status).where(Alert.id == alert_id))


@pytest.mark.parametrize(("current", "target"), [("new", "acknowledged"), ("acknowledged", "resolved"),
                                                 ("incomplete", "false_alarm"), ("verified", "resolved")])  # fmt: skip
def test_move_follows_the_table(runtime, alert_id, current, target):
    with runtime.db.transaction() as session:
        session.execute(update(Alert).where(Alert.id == alert_id).values(status=current))
    with runtime.db.transaction() as session:
        alert = session.get(Alert, alert_id)
        assert move(session, alert, target) and alert.status == target
    assert status_in_db(runtime, alert_id) == target


@pytest.mark.parametrize(("current", "target"), [("resolved", "false_alarm"), ("false_alarm", "resolved"),
                                                 ("verified", "acknowledged"), ("new", "new")])  # fmt: skip
def test_move_refuses_what_the_table_refuses(runtime, alert_id, current, target):
    with runtime.db.transaction() as session:
        session.execute(update(Alert).where(Alert.id == alert_id).values(status=current))
    with runtime.db.transaction() as session:
        alert = session.get(Alert, alert_id)
        assert not move(session, alert, target) and alert.status == current
    assert status_in_db(runtime, alert_id) == current


def test_move_decides_on_the_status_in_the_database_not_the_loaded_one(runtime, alert_id):
    with runtime.db.sessions() as stale:
        alert = stale.get(Alert, alert_id)
        assert alert.status == "new"
        with runtime.db.transaction() as other:  # someone else closes it meanwhile
            assert move(other, other.get(Alert, alert_id), "false_alarm")
        assert alert.status == "new", "the loaded object still says new"
        assert not move(stale, alert, "resolved")
        assert alert.status == "false_alarm", "the loser sees what happened"
        stale.commit()
    assert status_in_db(runtime, alert_id) == "false_alarm"


@pytest.mark.parametrize("targets", [("resolved", "resolved"), ("resolved", "false_alarm")])
def test_two_moves_at_once_one_wins(runtime, alert_id, targets):
    barrier = Barrier(2, timeout=20)

    def close(target: str) -> bool:
        with runtime.db.transaction() as session:
            alert = session.get(Alert, alert_id)
            barrier.wait()  # both have read it as new
            return move(session, alert, target)

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(close, targets))
    assert sorted(outcomes) == [False, True]
    assert status_in_db(runtime, alert_id) == targets[outcomes.index(True)]
