"""Case 9: floods and loops through the real processes (issue 13, point 4). The web app under gunicorn and real RQ
workers take signed webhooks from the fake providers: a leader's 200-message flood gets a bucket of replies (the
rest held, never sent by a worker or its sweeper), ten `ALERTE 3` about one place are one alert paged once, an
auto-responder answering every reply stops being answered by itself (the desk told once), and 50 updates from an
unknown Telegram account get one answer, on the bulk queue."""

from __future__ import annotations

import math
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select

from gateway.models import Alert, Contact, Direction, District, Message, MessageStatus, Priority
from tests.faults import logscan
from tests.faults.population import phone, telegram_id
from tests.faults.procs import wait_until
from tests.faults.providers import (
    http_session,
    inbound_form,
    post_sms,
    post_update,
    telegram_text_update,
    twilio_deliveries,
)

pytestmark = [pytest.mark.faults, pytest.mark.e2e]

CASE = 9
FLOOD = 200
ALERTS = 10
OFFICERS = 3
LOOP_ROUNDS = 60  # the simulated auto-responder gives up after this many rounds (or LOOP_SECONDS)
LOOP_SECONDS = 60
QUIET = 10  # seconds without a new reply after which the auto-responder is considered stopped
TELEGRAM_UPDATES = 50
# Small, known limits: a burst of 5 replies, one more every 10 s; the loop guard's defaults (5 copies in 60 s).
BURST, REFILL = 5, 10
LIMITS = {"SENDER_REPLY_BURST": str(BURST), "SENDER_REPLY_REFILL_SECONDS": str(REFILL)}
AUTO_REPLY = "Je suis absent pour le moment, je vous rappelle des mon retour. Merci de votre message."


@pytest.fixture
def env(env) -> dict[str, str]:
    """The suite's gateway with this case's reply limits."""
    return {**env, **LIMITS}


def flood_text(index: int) -> str:
    """One of the flood's messages: distinct (no loop), matching no keyword."""
    return f"Les jeunes se regroupent encore devant la mairie de Sofara, message numero {index}"


def alert_text(index: int) -> str:
    """One of the repeated alerts about the same place (the leader's village)."""
    return f"ALERTE 3 des hommes armes tirent en l'air au marche de Toguere, nouvelle {index}"


def add_directory(runtime) -> dict:
    """Three districts: a flood leader's; an alerting leader's with OFFICERS level-1 officers; a looping leader's
    with one facilitator (the desk). Everyone on SMS, nobody on Telegram. Name → phone number."""
    people = {}
    with runtime.db.transaction() as session:
        districts = [District(code=f"F9{k}", name=f"Cercle 9{k}", region="Mopti") for k in "ABC"]
        session.add_all(districts)
        session.flush()

        def add(name: str, role: str, district: District, index: int, level: int | None = None) -> None:
            people[name] = phone(CASE, index)
            session.add(
                Contact(
                    name=f"{name.title()} {CASE}",
                    phone=people[name],
                    role=role,
                    region="Mopti",
                    district_id=district.id,
                    commune=f"Commune {district.code}",
                    village=f"Village {district.code}",
                    language="fr",
                    channel="sms",
                    escalation_level=level,
                )
            )

        add("flooder", "leader", districts[0], 1)
        add("alerter", "leader", districts[1], 2)
        for i in range(OFFICERS):
            add(f"officer{i}", "officer", districts[1], 10 + i, level=1)
        add("looper", "leader", districts[2], 3)
        add("facilitator", "facilitator", districts[2], 20)
    return people


def rows(runtime, direction: str, address: str) -> list[Message]:
    """Messages of one direction from or to one address, oldest first."""
    with runtime.db.transaction() as session:
        query = select(Message).where(Message.direction == direction, Message.address == address)
        return list(session.scalars(query.order_by(Message.id)))


def handled(runtime, address: str, expected: int) -> bool:
    """Whether `expected` messages from this address are stored and all handled."""
    stored = rows(runtime, Direction.IN, address)
    return len(stored) == expected and all(m.processed_at is not None for m in stored)


def sms_to(fake_twilio, number: str) -> int:
    """How many SMS to this number the fake Twilio accepted."""
    return sum(1 for r in fake_twilio.requests if r.form.get("To") == number and r.answered == 201)


def sweeps_pass() -> None:
    """Let the workers' sweeper (every second; `queued` rows older than 2 s re-enqueued) run several times."""
    time.sleep(6)


def post_all(session, base: str, token: str, forms: list[dict]) -> Counter:
    """POST signed SMS webhooks as fast as the web takes them; their statuses."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        return Counter(pool.map(lambda f: post_sms(session, base, token, f).status_code, forms))


def auto_responder(session, base: str, fake_twilio, number: str) -> int:
    """A phone that answers every reply it receives with the same text: post the text, then again after each new
    reply the fake Twilio accepts for it; bounded by LOOP_ROUNDS and LOOP_SECONDS. The rounds it posted."""
    deadline = time.monotonic() + LOOP_SECONDS
    rounds, seen = 0, 0
    while rounds < LOOP_ROUNDS and time.monotonic() < deadline:
        form = inbound_form(fake_twilio.account_sid, number, AUTO_REPLY)
        assert post_sms(session, base, fake_twilio.auth_token, form).status_code == 200
        rounds += 1
        if not wait_until(lambda seen=seen: sms_to(fake_twilio, number) > seen, timeout=QUIET):
            break  # no answer came: the gateway stopped answering
        seen = sms_to(fake_twilio, number)
    return rounds


@pytest.mark.timeout(240)
def test_floods_and_loops_are_rationed_merged_and_cut(runtime, gateway, fake_twilio, fake_telegram, row):
    """9. Floods and loops: 200 SMS, 10 ALERTE, an auto-responder, 50 Telegram updates."""
    people = add_directory(runtime)
    stranger = telegram_id(CASE, 1)
    flood = [inbound_form(fake_twilio.account_sid, people["flooder"], flood_text(i)) for i in range(FLOOD)]
    alerts = [inbound_form(fake_twilio.account_sid, people["alerter"], alert_text(i)) for i in range(ALERTS)]
    tg_texts = [f"Bonjour, je veux signaler quelque chose a Sofara, essai {i}" for i in range(TELEGRAM_UPDATES)]
    logscan.remember(
        phones=people.values(),
        bodies=[f["Body"] for f in flood + alerts] + [AUTO_REPLY] + tg_texts,
        telegram_ids=[stranger],
    )
    base = gateway.web()
    gateway.worker()
    gateway.worker()
    session = http_session()
    token = fake_twilio.auth_token

    # 9a. A flood from one number, and repeated alerts from another.
    started = time.monotonic()
    answers = post_all(session, base, token, flood + alerts)
    assert wait_until(lambda: handled(runtime, people["flooder"], FLOOD), timeout=120, interval=1), "flood handled"
    elapsed = time.monotonic() - started  # the tokens were taken within this span
    assert wait_until(lambda: handled(runtime, people["alerter"], ALERTS), timeout=30, interval=1), "alerts handled"
    replies = rows(runtime, Direction.OUT, people["flooder"])
    going = [r.id for r in replies if r.status != MessageStatus.HELD]
    wait_until(lambda: len(twilio_deliveries(fake_twilio, going)) == len(going), timeout=30)
    officers = [people[f"officer{i}"] for i in range(OFFICERS)]
    wait_until(lambda: all(sms_to(fake_twilio, o) for o in officers), timeout=30)

    # 9b. An auto-responder answering every reply: the gateway stops answering, the desk is told once.
    looper, desk = people["looper"], people["facilitator"]
    rounds = auto_responder(session, base, fake_twilio, looper)
    assert wait_until(lambda: handled(runtime, looper, rounds), timeout=30), "the loop's messages handled"
    wait_until(lambda: sms_to(fake_twilio, desk) >= 1, timeout=30)

    # 9c. 50 updates from a Telegram account outside the directory.
    updates = [telegram_text_update(9_900_000 + i, stranger, text) for i, text in enumerate(tg_texts)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        tg_answers = Counter(pool.map(lambda u: post_update(session, base, u).status_code, updates))
    tg_handled = wait_until(lambda: handled(runtime, str(stranger), TELEGRAM_UPDATES), timeout=60, interval=1)
    wait_until(lambda: any(c.chat_id == stranger for c in fake_telegram.calls_to("sendMessage")), timeout=30)

    # Counted once the sweeper has run several times after the last of it: held rows must still be unsent.
    sweeps_pass()
    replies = rows(runtime, Direction.OUT, people["flooder"])
    held = [r for r in replies if r.status == MessageStatus.HELD]
    flood_sent = twilio_deliveries(fake_twilio, [r.id for r in replies])
    bound = BURST + math.ceil(elapsed / REFILL)
    stored = rows(runtime, Direction.IN, people["flooder"])
    with runtime.db.transaction() as db:
        query = select(Alert.id).join(Contact, Alert.reporter_id == Contact.id)
        alerted = db.scalars(query.where(Contact.phone == people["alerter"])).all()
    pages = {o: sms_to(fake_twilio, o) for o in officers}
    loop_replies = rows(runtime, Direction.OUT, looper)
    tg_replies = rows(runtime, Direction.OUT, str(stranger))
    tg_sent = [c for c in fake_telegram.calls_to("sendMessage") if c.chat_id == stranger and c.answered == 200]

    all_answers = answers + tg_answers + Counter({200: rounds})
    row.set(
        sent=f"{FLOOD} SMS from 1 number + {ALERTS} ALERTE 3 + {rounds}-round auto-responder loop + "
        f"{TELEGRAM_UPDATES} Telegram updates",
        stored=f"{len(stored)} stored, {len(flood_sent)} replies sent (bound {bound}), {len(held)} held; "
        f"{len(alerted)} alert, pages {sorted(pages.values())}; loop answered {sms_to(fake_twilio, looper)}×, "
        f"desk told {sms_to(fake_twilio, desk)}×; Telegram {len(tg_sent)} answer",
        duplicates=sum(n - 1 for n in twilio_deliveries(fake_twilio).values()),
        lost=FLOOD - len(stored),
        five_xx=sum(n for s, n in all_answers.items() if s >= 500),
    )

    # 9a: every message answered 200, stored once and handled; replies within the bucket, the rest held for good.
    assert answers == {200: FLOOD + ALERTS}, answers
    assert len(stored) == FLOOD and len({m.provider_id for m in stored}) == FLOOD
    assert len(replies) == FLOOD, "one reply row per message, held or not"
    assert BURST <= len(flood_sent) <= bound, f"{len(flood_sent)} replies sent, bucket allows {BURST}..{bound}"
    assert len(held) == FLOOD - len(flood_sent), Counter(r.status for r in replies)
    assert {(r.error_code, r.attempts, r.sent_at) for r in held} == {("rate_limited", 0, None)}
    assert not set(flood_sent) & {r.id for r in held}, "a held reply reached the provider"
    assert max(twilio_deliveries(fake_twilio).values()) == 1, "a message was sent twice"
    # Ten ALERTE 3 about one place: one alert holding the ten messages, each level-1 officer paged once.
    assert len(alerted) == 1, f"{len(alerted)} alerts"
    assert all(m.alert_id == alerted[0] for m in rows(runtime, Direction.IN, people["alerter"]))
    assert pages == dict.fromkeys(officers, 1), pages

    # 9b: the loop stopped by itself well before its bound; the copies before the guard were answered, then none.
    copies = runtime.settings.loop_guard_count
    assert rounds == copies < LOOP_ROUNDS, f"the auto-responder went {rounds} rounds"
    assert sms_to(fake_twilio, looper) == copies - 1
    assert [r.error_code for r in loop_replies if r.status == MessageStatus.HELD] == ["loop_guard"]
    assert sms_to(fake_twilio, desk) == 1, "the desk is told once"

    # 9c: all stored and handled, one answer, on the bulk queue.
    assert tg_answers == {200: TELEGRAM_UPDATES} and tg_handled
    assert [(r.kind, r.priority) for r in tg_replies] == [("identify", Priority.BULK)]
    assert len(tg_sent) == 1, f"{len(tg_sent)} answers to the unknown account"
