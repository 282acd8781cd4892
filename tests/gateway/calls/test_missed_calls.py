"""Missed calls as transcripts, through the real pipeline: the fake CallGate posts its signed events to the webhook,
the handling jobs run in a real RQ worker, and the outbox shows who was told what. A leader who rings and hangs up
gets one call-back report (however often they ring within ALERT_MERGE_SECONDS), the district's officer and
facilitator are paged with the leader's name and place, the leader gets an SMS with the reference; `OK` stops the
paging and `FIN` closes it; an answered call, or a number outside the directory's leaders, pages nobody."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from gateway.escalation import ladder
from gateway.models import Alert, Direction, Escalation, Message, utcnow
from tests.chat import Chat
from tests.inbound_jobs import handle_queued

LEADER = "+22376972134"  # Abdoulaye Togo, leader at Koro (KORO)
LEADER_AS_DIALLED = "76972134"  # the national form Android shows for a Malian caller
OFFICER = "+22379678122"  # Seydou Traoré, KORO duty officer, level 1
FACILITATOR = "+22391731768"  # Bakary Dembélé, KORO facilitator
STRANGER = "+22366123456"  # not in the directory
OTHER_OFFICER = "+22365639508"  # Aliou Ongoïba, MOPTI duty officer: not a leader
LEADER_SMS = "Nous vous rappelons bientot #1."  # the catalogue's "bientôt", kept in GSM-7 by the outbox
PAGE = "#1 Koro: Abdoulaye T. (Koro) a bipé, rappelez-le. Répondez OK 1 si vous le rappelez, puis FIN 1 + note."


@pytest.fixture
def env(base_env, fake_callgate) -> dict[str, str]:
    """The test gateway with the fake phone's CallGate; SMS through the console channel."""
    return {**base_env, **fake_callgate.env(), "PUBLIC_BASE_URL": "https://gw.example.org"}


def outbox(runtime) -> list[tuple[str, str]]:
    """(address, text) of every message queued, oldest first."""
    with runtime.db.transaction() as session:
        rows = session.scalars(select(Message).where(Message.direction == Direction.OUT).order_by(Message.id)).all()
        return [(m.address, m.body) for m in rows]


def alerts(runtime) -> list[dict]:
    """Every alert, as the fields these tests look at."""
    with runtime.db.transaction() as session:
        return [
            {
                "ref": a.id,
                "source": a.source,
                "district": a.district.code if a.district else None,
                "place": a.place,
                "description": a.description,
                "status": a.status,
                "reporter": a.reporter.phone if a.reporter else None,
            }
            for a in session.scalars(select(Alert).order_by(Alert.id))
        ]


def escalation(runtime, ref: int = 1) -> Escalation:
    with runtime.db.transaction() as session:
        found = session.scalar(select(Escalation).where(Escalation.alert_id == ref))
        session.expunge(found)
        return found


def test_missed_call_from_a_leader_pages_the_district_and_answers_the_leader(runtime, client, directory, fake_callgate):
    deliveries = fake_callgate.missed_call(client, LEADER_AS_DIALLED)
    assert [d.status for d in deliveries] == [200] * 4
    assert outbox(runtime) == [] and alerts(runtime) == [], "the webhook only stores: the jobs do the work"
    assert handle_queued(runtime) == 4
    assert alerts(runtime) == [
        {
            "ref": 1,
            "source": "callback",
            "district": "KORO",
            "place": "Koro",
            "description": None,
            "status": "new",
            "reporter": LEADER,
        }
    ]
    assert sorted(outbox(runtime)) == sorted([(OFFICER, PAGE), (FACILITATOR, PAGE), (LEADER, LEADER_SMS)])
    assert escalation(runtime).status == "active" and escalation(runtime).ladder is True


def test_page_and_sms_fit_one_segment_and_never_carry_the_number(runtime, client, directory, fake_callgate):
    fake_callgate.missed_call(client, LEADER)
    handle_queued(runtime)
    for address, text in outbox(runtime):
        assert len(text) <= 160 and LEADER[-8:] not in text, (address, text)


def test_ok_stops_the_paging_and_fin_closes_the_report(runtime, client, directory, fake_callgate):
    fake_callgate.missed_call(client, LEADER)
    handle_queued(runtime)
    officer = Chat(runtime, OFFICER)
    assert officer.send("OK 1")[0].startswith("Merci, vous prenez en charge #1.")
    taken = escalation(runtime)
    assert taken.status == "stopped" and taken.next_step_at is None
    assert ladder.step(runtime, taken.id, taken.step_seq) == "skipped", "taken: no more pages"
    officer.send("FIN 1 rappelé, conflit de champ à Koro, réunion demain")
    officer.send("OUI")
    [report] = alerts(runtime)
    assert report["status"] == "resolved"
    assert escalation(runtime).resolution_note == "rappelé, conflit de champ à Koro, réunion demain"


def test_nobody_takes_it_and_the_ladder_climbs_with_the_same_words(runtime, client, directory, fake_callgate):
    fake_callgate.missed_call(client, LEADER)
    handle_queued(runtime)
    waiting = escalation(runtime)
    with runtime.db.transaction() as session:
        session.execute(update(Escalation).values(next_step_at=utcnow() - timedelta(seconds=1)))
    seen = len(outbox(runtime))
    assert ladder.step(runtime, waiting.id, waiting.step_seq) == "level 2"
    pages = [text for _, text in outbox(runtime)[seen:] if text.startswith("#1 Koro")]
    assert pages, outbox(runtime)[seen:]


def test_repeated_missed_calls_within_ten_minutes_are_one_report(runtime, client, directory, fake_callgate):
    fake_callgate.missed_call(client, LEADER)
    handle_queued(runtime)
    fake_callgate.missed_call(client, LEADER_AS_DIALLED, at=time.time() + 30)
    fake_callgate.missed_call(client, "0022376972134", at=time.time() + 90)
    handle_queued(runtime)
    assert [a["ref"] for a in alerts(runtime)] == [1]
    assert [t for a, t in outbox(runtime) if a == LEADER] == [LEADER_SMS]
    assert [t for a, t in outbox(runtime) if a == OFFICER] == [PAGE]
    with runtime.db.transaction() as session:
        linked = session.scalars(select(Message.id).where(Message.alert_id == 1)).all()
    assert len(linked) == 3, "each missed call is kept with the report"


def test_a_missed_call_after_the_merge_window_is_a_new_report(runtime, client, directory, fake_callgate):
    fake_callgate.missed_call(client, LEADER)
    handle_queued(runtime)
    with runtime.db.transaction() as session:
        session.execute(update(Message).values(created_at=utcnow() - timedelta(minutes=11)))
    fake_callgate.missed_call(client, LEADER)
    handle_queued(runtime)
    assert [a["ref"] for a in alerts(runtime)] == [1, 2]


def test_events_arriving_out_of_order_still_make_one_missed_call(runtime, client, directory, fake_callgate):
    start = time.time()
    fake_callgate.state(client, "call:ended", LEADER, at=start + 4)
    fake_callgate.state(client, "call:ringing", LEADER, at=start)
    handle_queued(runtime)
    assert [a["ref"] for a in alerts(runtime)] == [1]
    assert handle_queued(runtime) == 0


def test_handling_twice_acts_once(runtime, client, directory, fake_callgate):
    fake_callgate.missed_call(client, LEADER)
    handle_queued(runtime, reverse=True)  # the end first, then the ringing: each sees the whole call
    assert [a["ref"] for a in alerts(runtime)] == [1]
    assert len([t for a, t in outbox(runtime) if a == LEADER]) == 1


def test_an_answered_call_pages_nobody(runtime, client, directory, fake_callgate):
    fake_callgate.answered_call(client, LEADER)
    assert handle_queued(runtime) == 6
    assert alerts(runtime) == [] and outbox(runtime) == []


@pytest.mark.parametrize("caller", [STRANGER, OTHER_OFFICER], ids=["unknown-number", "officer-not-leader"])
def test_other_numbers_are_stored_never_paged(runtime, client, directory, fake_callgate, caller):
    fake_callgate.missed_call(client, caller)
    handle_queued(runtime)
    assert alerts(runtime) == [] and outbox(runtime) == []
    with runtime.db.transaction() as session:
        rows = session.scalars(select(Message).where(Message.channel == "callgate")).all()
        assert len(rows) == 4 and all(r.processed_at is not None for r in rows)
        assert sorted(r.address for r in rows) == ["", "", caller, caller]


def test_withheld_number_is_stored_and_handled(runtime, client, directory, fake_callgate):
    fake_callgate.deliver(client, fake_callgate.envelope("call:ringing", None))
    fake_callgate.deliver(client, fake_callgate.envelope("call:ended", None))
    assert handle_queued(runtime) == 2
    assert alerts(runtime) == [] and outbox(runtime) == []


@pytest.mark.usefixtures("restore_logging")
def test_the_call_back_report_can_be_triaged_into_a_real_alert(runtime, client, directory, fake_callgate, env):
    from click.testing import CliRunner

    from gateway.cli import main

    fake_callgate.missed_call(client, LEADER)
    handle_queued(runtime)
    Chat(runtime, OFFICER).send("OK 1")
    result = CliRunner().invoke(
        main, ["alerts", "triage", "1", "--category", "land_livestock", "--severity", "2"], env=env
    )
    assert result.exit_code == 0, result.output
    with runtime.db.transaction() as session:
        report = session.get(Alert, 1)
        assert (report.source, report.category, report.severity) == ("callback", "land_livestock", 2)
        assert report.triaged_at is not None
    again = CliRunner().invoke(main, ["alerts", "triage", "1", "--category", "other"], env=env)
    assert again.exit_code != 0 and "already classified" in again.output
