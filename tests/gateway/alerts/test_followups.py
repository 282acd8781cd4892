"""Follow-ups under a controlled clock: a serious alert's reporter is asked how things stand by calling
`ask(…, now=due)` (never by waiting); each answer (1, 2, 3, free text) through the real inbound pipeline, the maximum
number of questions, re-escalation, references among several open questions, opt-out, the Telegram→SMS fallback and a
Redis flush between planning and asking. (`gateway alerts show` with the history:
tests/gateway/cli/test_cli_triage.py.)"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from rq.registry import ScheduledJobRegistry
from rq.serializers import JSONSerializer
from sqlalchemy import func, select, update

from bots.console import read_console_outbox
from flows.catalogue import text as catalogue_text
from gateway import models
from gateway.alerts.followups import ask, overdue
from gateway.messaging.sms_text import count_segments, to_gsm7
from gateway.models import Alert, AlertUpdate, Contact, Escalation, Followup, Message, MessageKind, utcnow
from tests.chat import Chat
from tests.fakes.telegram_api import blocked
from workers.queues import QUEUE_BULK, job_is_pending, queue
from workers.schedule import ask_job_id
from workers.sweeper import sweep_timers
from workers.worker import run_worker

pytestmark = pytest.mark.usefixtures("directory")  # every test talks as contacts of the sample directory
LEADER = "+22371139685"  # Mamadou Dembélé, leader at Konna/Kotaka (MOPTI), French, SMS
ALIOU = "+22365639508"  # Aliou Ongoïba, MOPTI duty officer, level 1
SEYDOU, SEYDOU_TG = "+22365852425", 4759203699  # Seydou Barry, MOPTI leader at Konna on Telegram
TENSE = "ALERTE 2 les jeunes se disputent au puits"
URGENT = "ALERTE 3 des hommes armés encerclent le marché de Kotaka"
QUESTION = "#1 Konna: la situation? 1 calme 2 tendue 3 pire"
DAY = 86400


@pytest.fixture
def extra_env() -> dict[str, str]:
    """Settings a test adds (overridden by parametrization)."""
    return {}


@pytest.fixture
def env(base_env, extra_env, request) -> dict[str, str]:
    """The test gateway plus the test's settings; Telegram on (the fake Bot API) for tests that use `fake_telegram`."""
    telegram = request.getfixturevalue("fake_telegram").env() if "fake_telegram" in request.fixturenames else {}
    return {**base_env, **telegram, **extra_env}


def reader(model):
    """A helper that reads the row of `model` (Alert, Followup, Escalation) about one alert, #1 by default."""

    def read(runtime, alert_id: int = 1):
        with runtime.db.transaction() as session:
            return session.scalar(select(model).where((model.id if model is Alert else model.alert_id) == alert_id))

    return read


alert, followup, escalation = reader(Alert), reader(Followup), reader(Escalation)


def due(runtime, alert_id: int = 1, later: float = 0) -> str:
    """Ask the alert's pending question at the time it is due (plus `later` seconds), as RQ's scheduler would."""
    row = followup(runtime, alert_id)
    return ask(runtime, row.id, row.seq, now=row.next_ask_at + timedelta(seconds=later))


def answer(reporter: Chat, text: str) -> list[str]:
    """Send a message; only the replies to it (not what was queued to the sender before) are returned."""
    reporter.replies()
    return reporter.send(text)


def questions(runtime, address: str = LEADER) -> list[Message]:
    """The follow-up questions queued to an address, oldest first."""
    with runtime.db.transaction() as session:
        rows = select(Message).where(Message.kind == MessageKind.FOLLOWUP, Message.address == address)
        return list(session.scalars(rows.order_by(Message.id)))


def updates(runtime, alert_id: int = 1) -> list[tuple[str, str | None]]:
    """(kind, value) of what was added to the alert, in order."""
    with runtime.db.transaction() as session:
        rows = session.scalars(select(AlertUpdate).where(AlertUpdate.alert_id == alert_id).order_by(AlertUpdate.id))
        return [(u.kind, u.value) for u in rows]


def alert_count(runtime) -> int:
    """How many alerts and reports exist."""
    with runtime.db.transaction() as session:
        return session.scalar(select(func.count()).select_from(Alert))


def urgent_pages(runtime, alert_id: int = 1) -> list[str]:
    """Bodies of the urgent escalation messages sent to the MOPTI duty officer about the alert."""
    with runtime.db.transaction() as session:
        rows = session.scalars(
            select(Message).join(models.Notification).where(models.Notification.alert_id == alert_id)
        )
        return [m.body for m in rows if m.address == ALIOU and m.body.startswith("URGENT")]


@pytest.mark.parametrize("text", [TENSE, URGENT])
def test_a_serious_alert_plans_one_question_after_the_delay(runtime, redis_client, text):
    before = utcnow()
    Chat(runtime, LEADER).send(text)
    row = followup(runtime)
    assert (row.asks, row.seq, row.closed, row.waiting_since) == (0, 1, False, None)
    assert before + timedelta(seconds=DAY) <= row.next_ask_at <= utcnow() + timedelta(seconds=DAY)
    assert job_is_pending(redis_client, ask_job_id(row.id, 1))
    registry = ScheduledJobRegistry(queue=queue(redis_client, QUEUE_BULK), serializer=JSONSerializer)
    assert registry.get_scheduled_time(ask_job_id(row.id, 1)) == row.next_ask_at.replace(microsecond=0)
    assert questions(runtime) == [], "nothing is asked before the delay"


@pytest.mark.parametrize("text", ["ALERTE 1 tout est calme", "Le puits est sec"])
def test_information_and_free_text_get_no_followup(runtime, text):
    Chat(runtime, LEADER).send(text)
    assert alert_count(runtime) == 1 and followup(runtime) is None


# Two alerts about one place from one leader: merging off, or they would be one alert (gateway.alerts.merge).
@pytest.mark.parametrize("extra_env", [{"FOLLOWUP_MIN_SEVERITY": "3", "ALERT_MERGE_SECONDS": "0"}])
def test_followup_min_severity_is_honoured(runtime):
    Chat(runtime, LEADER).send(TENSE)
    Chat(runtime, LEADER).send(URGENT)
    assert followup(runtime, 1) is None and followup(runtime, 2) is not None


def test_the_question_is_one_french_sms_sent_once_when_due(runtime):
    Chat(runtime, LEADER).send(TENSE)
    row = followup(runtime)
    assert ask(runtime, row.id, row.seq, now=row.next_ask_at - timedelta(minutes=5)) == "skipped", "not due yet"
    with ThreadPoolExecutor(2) as pool:  # the scheduler's job and the sweeper's, at the same moment
        outcomes = list(pool.map(lambda _: ask(runtime, row.id, row.seq, now=row.next_ask_at), "ab"))
    assert sorted(outcomes) == ["asked", "skipped"]
    [question] = questions(runtime)
    assert (question.body, question.kind, question.priority, question.channel) == (
        QUESTION,
        "followup",
        "bulk",
        "console",
    )
    assert count_segments(question.body).encoding == "GSM-7" and count_segments(question.body).segments == 1
    assert ask(runtime, row.id, row.seq, now=row.next_ask_at) == "skipped", "the same question is never sent twice"
    after = followup(runtime)
    assert (after.asks, after.seq, after.next_ask_at) == (1, 2, None) and after.waiting_since is not None
    assert len(questions(runtime)) == 1 and updates(runtime) == [("asked", "1")]


def test_an_english_speaker_is_asked_in_english(runtime):
    with runtime.db.transaction() as session:
        session.execute(update(Contact).where(Contact.phone == LEADER).values(language="en"))
    Chat(runtime, LEADER).send(TENSE)
    due(runtime)
    assert [q.body for q in questions(runtime)] == ["#1 Konna: how are things? 1 calmer 2 tense 3 worse"]


def test_answer_1_records_calmer_and_closes(runtime):
    reporter = Chat(runtime, LEADER)
    reporter.send(TENSE)
    due(runtime)
    [reply] = answer(reporter, "1")
    assert "#1: situation plus calme" in reply
    row = followup(runtime)
    assert (row.closed, row.waiting_since, row.next_ask_at) == (True, None, None)
    assert alert(runtime).assessment == "calmer" and alert_count(runtime) == 1
    assert updates(runtime) == [("asked", "1"), ("answered", "calmer")]
    with runtime.db.transaction() as session:
        assert session.scalars(select(Message).where(Message.body == "1")).one().alert_id == 1
        assert overdue(session, utcnow() + timedelta(days=30)) == []


@pytest.mark.parametrize("extra_env", [{}, {"FOLLOWUP_MAX": "2"}])
def test_answer_2_asks_again_up_to_followup_max(runtime):
    reporter = Chat(runtime, LEADER)
    reporter.send(TENSE)
    maximum = runtime.settings.followup_max
    for n in range(1, maximum + 1):
        assert due(runtime) == "asked"
        before = utcnow()
        [reply] = answer(reporter, "#1 2" if n == 2 else "2")
        assert "#1: toujours tendue" in reply and alert(runtime).assessment == "tense"
        row = followup(runtime)
        assert row.asks == n and row.closed is (n == maximum)
        if n < maximum:
            assert row.next_ask_at >= before + timedelta(seconds=DAY) and row.waiting_since is None
    assert len(questions(runtime)) == maximum and alert_count(runtime) == 1
    row = followup(runtime)
    assert ask(runtime, row.id, row.seq, now=utcnow() + timedelta(days=30)) == "skipped"
    assert updates(runtime) == [u for n in range(1, maximum + 1) for u in (("asked", str(n)), ("answered", "tense"))]


def test_answer_3_makes_the_alert_urgent_and_starts_the_ladder(runtime):
    reporter = Chat(runtime, LEADER)
    reporter.send(TENSE)
    assert escalation(runtime).ladder is False and urgent_pages(runtime) == [], "a tension is a plain notice"
    due(runtime)
    [reply] = answer(reporter, "3")
    assert "#1: situation pire" in reply
    esc, row = escalation(runtime), alert(runtime)
    assert (row.severity, row.assessment, row.status) == (3, "worse", "new")
    assert (esc.status, esc.ladder, esc.level) == ("active", True, 1) and esc.next_step_at > utcnow()
    assert len(urgent_pages(runtime)) == 1 and urgent_pages(runtime)[0].startswith("URGENT #1 ")
    after = followup(runtime)
    assert after.closed is False and after.next_ask_at is not None, "worse: the reporter is asked again later"


def test_answer_3_after_the_alert_was_handled_starts_the_ladder_again(runtime):
    reporter, officer = Chat(runtime, LEADER), Chat(runtime, ALIOU)
    reporter.send(URGENT)
    officer.send("OK 1")
    officer.send("FIN 1 la paix est revenue")
    officer.send("OUI")  # closing by SMS is confirmed
    assert alert(runtime).status == "resolved" and escalation(runtime).status == "stopped"
    due(runtime)
    answer(reporter, "3")
    esc = escalation(runtime)
    assert alert(runtime).status == "new" and (esc.status, esc.ladder) == ("active", True)
    assert (esc.acknowledged_by_id, esc.resolved_at, esc.next_step_at > utcnow()) == (None, None, True)
    assert len(urgent_pages(runtime)) == 2, "the duty officer is paged again"
    assert answer(officer, "OK 1") == [to_gsm7(catalogue_text("fr", "escalation.ack_done", ref=1))], "taken again"


def test_free_text_while_a_question_is_open_is_an_update_not_a_report(runtime):
    reporter = Chat(runtime, LEADER)
    reporter.send(TENSE)
    assert answer(reporter, "Le puits est sec")[0].startswith("Message recu #2"), "no question open yet: a report"
    due(runtime)
    [reply] = answer(reporter, "Les jeunes sont rentrés chez eux")
    assert "ajouté à l'alerte #1" in reply and alert_count(runtime) == 2, "no new report"
    with runtime.db.transaction() as session:
        inbound = session.scalars(select(Message).where(Message.body == "Les jeunes sont rentrés chez eux")).one()
        update_ = session.scalars(select(AlertUpdate).where(AlertUpdate.kind == "update")).one()
        assert (update_.alert_id, update_.message_id, inbound.alert_id) == (1, inbound.id, 1)
    assert followup(runtime).waiting_since is not None, "the question is still open"
    answer(reporter, "1")
    assert alert(runtime).assessment == "calmer" and updates(runtime, 2) == []


@pytest.mark.parametrize("extra_env", [{"ALERT_MERGE_SECONDS": "0"}])  # two alerts about one place stay two
@pytest.mark.parametrize(("text", "answered"), [("#2 1", 2), ("1 #2", 2), ("#1 1", 1), ("1 1", 1), ("1", 2)])
def test_a_reference_chooses_among_open_questions(runtime, text, answered):
    reporter = Chat(runtime, LEADER)
    reporter.send(TENSE)
    reporter.send("ALERTE 2 une autre dispute au marché")
    due(runtime, 1)
    due(runtime, 2, later=60)  # the most recent question, for an answer without a reference
    assert [q.body.split(":")[0] for q in questions(runtime)] == ["#1 Konna", "#2 Konna"]
    [reply] = answer(reporter, text)
    other = 3 - answered
    assert f"#{answered}: situation plus calme" in reply and alert_count(runtime) == 2
    assert (alert(runtime, answered).assessment, alert(runtime, other).assessment) == ("calmer", None)
    assert followup(runtime, answered).closed is True and followup(runtime, other).waiting_since is not None


def test_a_reporter_who_opted_out_is_not_asked(runtime):
    reporter = Chat(runtime, LEADER)
    reporter.send(TENSE)
    reporter.send("STOP")
    assert due(runtime) == "opted out"
    assert questions(runtime) == [] and followup(runtime).closed is True
    assert answer(reporter, "1")[0].startswith("Message recu #2"), "no question is open any more"


def test_a_question_blocked_on_telegram_falls_back_to_sms(runtime, redis_client, fake_telegram):
    Chat(runtime, SEYDOU).send(TENSE)
    run_worker(runtime, burst=True)  # the confirmation and the officer's notice go out first
    due(runtime)
    [question] = questions(runtime, str(SEYDOU_TG))
    assert (question.channel, question.kind) == ("telegram", "followup") and question.kind in models.FALLBACK_KINDS
    fake_telegram.script("sendMessage", blocked())
    run_worker(runtime, burst=True)
    assert fake_telegram.calls_to("sendMessage")[-1].text == QUESTION
    [copy] = questions(runtime, SEYDOU)
    assert (copy.channel, copy.body, copy.status) == ("console", QUESTION, "sent")
    assert [m["text"] for m in read_console_outbox(redis_client) if m["address"] == SEYDOU][-1] == QUESTION
    with runtime.db.transaction() as session:
        assert session.get(Message, question.id).status == "failed"
        assert session.scalars(select(Contact).where(Contact.phone == SEYDOU)).one().telegram_unreachable is True


def test_a_question_lost_with_redis_is_asked_once_after_the_sweep(runtime, redis_client):
    Chat(runtime, LEADER).send(TENSE)
    row = followup(runtime)
    assert sweep_timers(runtime, now=row.next_ask_at + timedelta(seconds=10)) == 0, "its scheduled job is pending"
    redis_client.flushdb()  # a restart that lost Redis: the scheduled question is gone
    assert sweep_timers(runtime, now=row.next_ask_at - timedelta(seconds=60)) == 0, "not due yet"
    with runtime.db.transaction() as session:
        session.execute(update(Followup).values(next_ask_at=utcnow() - timedelta(seconds=60)))
    assert sweep_timers(runtime) == 1
    assert ask_job_id(row.id, row.seq) in queue(redis_client, QUEUE_BULK).job_ids
    assert sweep_timers(runtime) == 0, "a question already queued is not queued twice"
    run_worker(runtime, burst=True)
    assert [m["text"] for m in read_console_outbox(redis_client) if m["address"] == LEADER].count(QUESTION) == 1
    assert followup(runtime).asks == 1 and ask(runtime, row.id, row.seq) == "skipped" and sweep_timers(runtime) == 0
