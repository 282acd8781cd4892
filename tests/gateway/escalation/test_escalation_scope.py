"""Officers act on alerts of their scope only — level 1 their district, level 2 their region, level 3 all — or on
alerts they were paged for; anyone else is refused and nothing changes (issue 13, point 2)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from flows.catalogue import text as catalogue_text
from gateway.escalation import ladder
from gateway.messaging.sms_text import to_gsm7
from gateway.models import Alert, Contact, District, Escalation, utcnow
from tests.chat import Chat
from tests.fakes.telegram_api import SECRET, SECRET_HEADER, telegram_update
from workers.worker import run_worker

LEADER = "+22371139685"  # Mamadou Dembélé, leader at Konna/Kotaka (MOPTI, Mopti region)
ALIOU = "+22365639508"  # MOPTI duty officer, level 1
SEYDOU = "+22379678122"  # KORO duty officer, level 1 (same region, other district)
BAKARY = "+22376375098"  # Mopti region coordinator, level 2
BINTOU = "+22371518071"  # Ségou region coordinator, level 2
FATOUMATA, FATOUMATA_TG = "+22365181606", 5981514941  # MACINA duty officer, level 1 (Ségou region)
SALIMATA = "+22365293966"  # head office, level 3
URGENT = "ALERTE 3 des hommes armés encerclent le marché de Kotaka"
CALM = "ALERTE 1 tout est calme au marché de Kotaka"  # pages nobody: scope alone decides


@pytest.fixture
def env(base_env, request):
    """The test gateway; Telegram on (pointed at the fake Bot API) for the tests that ask for `fake_telegram`."""
    if "fake_telegram" in request.fixturenames:
        return {**base_env, **request.getfixturevalue("fake_telegram").env()}
    return base_env


@pytest.fixture(autouse=True)
def _directory(directory):
    return directory


def sms(key: str, **params) -> str:
    """A French catalogue text as the SMS (console) channel sends it."""
    return to_gsm7(catalogue_text("fr", key, **params))


def state(runtime, ref: int = 1) -> tuple:
    """(alert status, who took it, escalation status) — what an officer's command can change."""
    with runtime.db.transaction() as session:
        alert = session.get(Alert, ref)
        esc = session.scalar(select(Escalation).where(Escalation.alert_id == ref))
        taker = esc.acknowledged_by.phone if esc and esc.acknowledged_by else None
        return alert.status, taker, esc.status if esc else None


def fire(runtime, ref: int = 1) -> str:
    """Make the alert's next ladder step due and fire it."""
    with runtime.db.transaction() as session:
        esc = session.scalar(select(Escalation).where(Escalation.alert_id == ref))
        esc.next_step_at = utcnow()
        esc_id, seq = esc.id, esc.step_seq
    return ladder.step(runtime, esc_id, seq)


OFFICERS = [
    ("level 1, own district", ALIOU, True),
    ("level 1, other district of the region", SEYDOU, False),
    ("level 1, other region", FATOUMATA, False),
    ("level 2, own region", BAKARY, True),
    ("level 2, other region", BINTOU, False),
    ("level 3", SALIMATA, True),
]
# command → the first answer of an officer in scope (FIN and FAUX by SMS ask to confirm: tests/gateway/
# test_confirmations.py), and the alert's status after it
COMMANDS = [
    ("OK 1", "escalation.ack_done", "acknowledged"),
    ("FIN 1 tout va bien", "escalation.confirm_resolve", "new"),
    ("FAUX 1", "escalation.confirm_false_alarm", "new"),
]


@pytest.mark.parametrize(("command", "done", "status"), COMMANDS, ids=[c[0] for c in COMMANDS])
@pytest.mark.parametrize(("who", "officer", "in_scope"), OFFICERS, ids=[o[0] for o in OFFICERS])
def test_officer_scope_by_level(runtime, who, officer, in_scope, command, done, status):
    Chat(runtime, LEADER).send(CALM)
    replies = Chat(runtime, officer).send(command)
    if in_scope:
        assert replies == [sms(done, ref=1)]
        taken = status == "acknowledged"
        assert state(runtime) == ((status, officer, "stopped") if taken else ("new", None, None))
    else:
        assert replies == [sms("escalation.not_yours", ref=1)]
        assert state(runtime) == ("new", None, None), "nothing changed"


def test_region_matches_without_regard_to_case_or_accents(runtime):
    with runtime.db.transaction() as session:
        session.execute(update(Contact).where(Contact.phone == BINTOU).values(region="SEGOU"))
    Chat(runtime, "+22365262635").send("ALERTE 1 tout est calme à Kokry")  # Aminata Sow, MACINA leader
    assert Chat(runtime, BINTOU).send("OK 1") == [sms("escalation.ack_done", ref=1)]


def test_a_macina_officer_s_false_alarm_on_a_mopti_alert_changes_nothing(runtime):
    reporter = Chat(runtime, LEADER)
    reporter.send(URGENT)
    aliou = Chat(runtime, ALIOU)
    for command in ("FAUX 1", "OK 1", "FIN 1 rien"):
        assert Chat(runtime, FATOUMATA).send(command) == [sms("escalation.not_yours", ref=1)]
    assert state(runtime) == ("new", None, "active")
    assert aliou.replies() == [] and reporter.replies() == []
    assert fire(runtime) == "level 2", "the ladder keeps going"


@pytest.mark.parametrize(("command", "done", "status"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_an_officer_paged_for_an_alert_may_act_on_it_after_it_moved_district(runtime, command, done, status):
    Chat(runtime, LEADER).send(URGENT)  # Aliou (MOPTI) is paged
    with runtime.db.transaction() as session:
        koro = session.scalar(select(District).where(District.code == "KORO"))
        session.get(Alert, 1).district_id = koro.id  # re-triaged to KORO: no longer his district
    assert Chat(runtime, ALIOU).send(command) == [sms(done, ref=1)]
    assert Chat(runtime, SEYDOU).send(command) != [sms("escalation.not_yours", ref=1)], "KORO's officer too"
    assert Chat(runtime, FATOUMATA).send(command) == [sms("escalation.not_yours", ref=1)]


def test_a_telegram_button_of_an_officer_out_of_scope_changes_nothing(client, runtime, fake_telegram):
    Chat(runtime, LEADER).send(URGENT)
    fatoumata = Chat(runtime, str(FATOUMATA_TG), channel="telegram")
    for data in ("OK 1", "FIN 1"):  # "Je prends en charge", "Résolu"
        update_ = telegram_update("callback_query", user_id=FATOUMATA_TG, data=data)
        assert client.post("/webhooks/telegram", json=update_, headers={SECRET_HEADER: SECRET}).status_code == 200
    run_worker(runtime, burst=True)
    assert fatoumata.replies() == [catalogue_text("fr", "escalation.not_yours", ref=1)] * 2
    assert state(runtime) == ("new", None, "active") and fire(runtime) == "level 2"
