"""Telegram updates through the webhook, as tables of captured-style updates (invariants 1, 2, 5 and 7).

Each row posts an update from tests/bots/telegram/fixtures/ with (or without) the secret-token header and checks what
Telegram gets back, the inbound messages kept and, once the handling jobs ran, the replies queued. The identity
rows then run the real worker against a fake Bot API and read what the newcomer saw: a contact-request button, a
"lié" confirmation, or the neutral unknown-number answer; and whose `telegram_id` changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import select, update

from gateway.directory.telegram_identity import create_link_code
from gateway.messaging.inbox import process_pending
from gateway.models import Contact, Direction, Message
from tests.fakes.telegram_api import SECRET, SECRET_HEADER, telegram_update
from tests.inbound_jobs import handle_job_ids, handle_queued
from workers.queues import QUEUE_URGENT, queue
from workers.worker import run_worker

PATH = "/webhooks/telegram"
LEADER_ID = 1445857208  # Seydou Togo, leader at Socoura (Mopti), linked to Telegram in the sample directory
NEWCOMER = 5012345678  # a Telegram account nobody linked yet
LATECOMER = 5087654321
MAMADOU = "+22371139685"  # Mamadou Dembélé, leader at Kotaka: in the directory, no Telegram account yet
UNKNOWN_REPLY = "Ce numéro n'est pas enregistré. Contactez votre facilitateur."
SHARE_KEYBOARD = {
    "keyboard": [[{"text": "Partager mon numéro", "request_contact": True}]],
    "one_time_keyboard": True,
    "resize_keyboard": True,
}


@pytest.fixture
def telegram_env(fake_telegram) -> dict[str, str]:
    """The Telegram settings of the test gateway (parametrize with {} to switch the channel off)."""
    return fake_telegram.env()


@pytest.fixture
def env(base_env, telegram_env) -> dict[str, str]:
    """The test gateway with its Telegram channel pointed at the fake Bot API."""
    return {**base_env, **telegram_env}


def post(client, payload: dict | bytes, secret: str | None = SECRET, content_type: str = "application/json"):
    """POST an update the way Telegram does: JSON, with the secret-token header when given."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {} if secret is None else {SECRET_HEADER: secret}
    return client.post(PATH, data=data, content_type=content_type, headers=headers)


def rows(runtime, direction: str) -> list[Message]:
    """The messages of one direction, oldest first."""
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Message).where(Message.direction == direction).order_by(Message.id)))


def contact(runtime, phone: str) -> Contact:
    """A fresh copy of one directory contact."""
    with runtime.db.transaction() as session:
        return session.scalars(select(Contact).where(Contact.phone == phone)).one()


@dataclass(frozen=True)
class Case:
    """One webhook request and what it should leave behind."""

    label: str
    fixture: str
    body: bytes | None = None  # a raw body instead of the fixture
    secret: str | None = SECRET
    content_type: str = "application/json"
    posts: int = 1  # >1: Telegram delivers the very same update again
    expected_status: int = 200
    expected_reason: str = ""  # in the JSON reason of a refusal
    expected_stored: int = 1
    expected_text: str | None = None  # the stored body, when not the fixture's text
    expected_replies: tuple[str, ...] = ()


NOTHING = {"expected_stored": 0}
REFUSED = {"expected_status": 403, "expected_reason": SECRET_HEADER, **NOTHING}
BAD = {"expected_status": 400, **NOTHING}
RECEIVED = ("Message reçu #",)
NO_UPDATE_ID = json.dumps({"message": {"message_id": 1, "date": 0, "chat": {"id": 1, "type": "private"}}}).encode()

CASES = [
    Case("text from a linked leader", "text", expected_replies=RECEIVED),
    Case("replay of the same update_id", "text", posts=2, expected_replies=RECEIVED),
    Case("wrong secret", "text", secret="s3cr3t_TOKEN-2", **REFUSED),
    Case("no secret header", "text", secret=None, **REFUSED),
    Case("empty secret header", "text", secret="", **REFUSED),
    Case("secret with different case", "text", secret=SECRET.lower(), **REFUSED),
    Case("malformed JSON", "text", body=b"{not json", expected_reason="malformed JSON", **BAD),
    Case("JSON without update_id", "text", body=NO_UPDATE_ID, expected_reason="update_id", **BAD),
    Case("update_id as a string", "text", body=b'{"update_id": "804512001"}', expected_reason="update_id", **BAD),
    Case("a JSON list", "text", body=b"[]", expected_reason="update_id", **BAD),
    Case("text/plain content type", "text", content_type="text/plain", expected_reason="JSON", **BAD),
    Case("message without date or chat", "malformed", expected_reason="malformed Telegram update", **BAD),
    Case("deeply nested JSON", "text", body=b'{"update_id": 1, "x": ' + b"[" * 30_000 + b"]" * 30_000 + b"}",
         expected_reason="nested too deeply", **BAD),
    Case("oversized update", "text", body=b'{"update_id": 1, "x": "' + b"x" * 70_000 + b'"}',
         expected_status=413, expected_reason="64 KiB", **NOTHING),
    # Every kind of message (edits, locations, photos, voice notes…): tests/bots/telegram/test_message_types.py.
    Case("channel post is ignored", "channel_post", **NOTHING),
    Case("bot blocked (my_chat_member) is ignored", "my_chat_member_blocked", **NOTHING),
    Case("group message is ignored", "group_message", **NOTHING),
    Case("button press is stored as its data", "callback_query", expected_text="2", expected_replies=RECEIVED),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_update(case: Case, client, runtime, directory, fake_telegram):
    payload = telegram_update(case.fixture)
    responses = [post(client, case.body or payload, case.secret, case.content_type) for _ in range(case.posts)]

    first = responses[0]
    assert first.status_code == case.expected_status, first.get_data(as_text=True)[:300]
    assert first.is_json, first.get_data(as_text=True)[:300]
    if case.expected_status == 200:
        assert all(r.get_json() == {"ok": True} for r in responses)
    else:
        assert case.expected_reason in first.get_json()["reason"]
    assert len(handle_job_ids(runtime)) == case.expected_stored, "one handling job per update stored"
    handle_queued(runtime)

    inbound, replies = rows(runtime, Direction.IN), rows(runtime, Direction.OUT)
    assert len(inbound) == case.expected_stored
    if inbound:
        seydou = contact(runtime, "+22379943869")
        body = payload.get("message") or payload["callback_query"]
        expected_text = body.get("text") if case.expected_text is None else case.expected_text
        kept = inbound[0]
        assert (kept.channel, kept.provider_id, kept.address) == ("telegram", str(payload["update_id"]), str(LEADER_ID))
        assert (kept.body, kept.contact_id, kept.status) == (expected_text, seydou.id, "received")
        assert kept.processed_at is not None, "stored but never handled"
    assert len(replies) == len(case.expected_replies), [r.body for r in replies]
    for reply, expected in zip(replies, case.expected_replies, strict=True):
        assert expected in reply.body and (reply.channel, reply.address) == ("telegram", str(LEADER_ID))
    assert fake_telegram.calls == [], "the web process called the Bot API itself"


def test_location_is_kept_with_its_coordinates(client, runtime, directory):
    assert post(client, telegram_update("location")).status_code == 200
    [kept] = rows(runtime, Direction.IN)
    # The chat's own id of the message is kept too: a discreet leader's chat is cleaned up with it.
    assert json.loads(kept.meta) == {"latitude": 14.489312, "longitude": -4.182657, "chat_message_id": 312}


def test_button_press_is_answered_by_a_job_on_the_urgent_queue(client, runtime, directory, fake_telegram):
    """The spinner is stopped by a worker (answerCallbackQuery), never by the web process; a replay answers once."""
    payload = telegram_update("callback_query")
    callback_id = payload["callback_query"]["id"]
    assert post(client, payload).status_code == 200

    jobs = [j for j in queue(runtime.redis, QUEUE_URGENT).jobs if j.func_name == "workers.telegram.answer_callback"]
    assert [(j.id, j.args) for j in jobs] == [(f"callback-{payload['update_id']}", [callback_id])]
    assert fake_telegram.calls == []
    assert post(client, payload).status_code == 200  # Telegram delivers it again before the worker ran
    run_worker(runtime, burst=True)

    answers = fake_telegram.calls_to("answerCallbackQuery")
    assert [(a.params["callback_query_id"], a.token_ok) for a in answers] == [(callback_id, True)]
    assert len(rows(runtime, Direction.IN)) == 1


def test_button_press_while_redis_is_down_is_stored_and_answered_200(client, runtime, directory, monkeypatch):
    """Neither the handling job nor the spinner's answer can be queued: the press is stored, the sweep handles it."""
    dead = redis.Redis.from_url("redis://127.0.0.1:1/9", socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
    live = runtime.redis_handle.client
    monkeypatch.setattr(runtime.redis_handle, "client", dead)
    response = post(client, telegram_update("callback_query"))
    monkeypatch.setattr(runtime.redis_handle, "client", live)
    assert response.status_code == 200 and response.get_json() == {"ok": True}
    [kept] = rows(runtime, Direction.IN)
    assert kept.processed_at is None and handle_job_ids(runtime) == []
    assert process_pending(runtime, older_than_seconds=0) == 1, "the sweeper's pass handles it"
    assert [r.channel for r in rows(runtime, Direction.OUT)] == ["telegram"]


@pytest.mark.parametrize("telegram_env", [{}], ids=["no TELEGRAM_* settings"])
def test_webhook_answers_404_when_the_channel_is_off(client, runtime, directory):
    response = post(client, telegram_update("text"))
    assert response.status_code == 404
    assert response.is_json and "telegram channel is not configured" in response.get_json()["reason"]
    assert rows(runtime, Direction.IN) == []


@dataclass(frozen=True)
class Identity:
    """A Telegram account outside the directory writes; who it becomes and what it is told."""

    label: str
    fixture: str
    user_id: int = NEWCOMER
    text: str | None = None  # "{code}" becomes a fresh link code for Mamadou
    phone: str | None = None  # the phone number on the shared contact card
    prep: str = ""  # code-used: someone used the code first | owner-inactive: user_id belongs to an inactive contact
    expected_linked: bool = False  # Mamadou's telegram_id is now user_id
    expected_reply: str = UNKNOWN_REPLY
    expected_keyboard: dict | None = None


SHARE = {"expected_reply": "partagez votre numéro", "expected_keyboard": SHARE_KEYBOARD}
LINKED = {"expected_linked": True, "expected_reply": "votre compte Telegram est lié"}

IDENTITIES = [
    Identity("unknown account's text gets the share-phone button", "text", text="Bonjour", **SHARE),
    Identity("/start gets the share-phone button", "start", **SHARE),
    Identity("own contact with a directory phone (00223…)", "contact_own", **LINKED),
    Identity("own contact with a directory phone (223… as Telegram sends it)", "contact_own", phone="22371139685",
             **LINKED),
    Identity("someone else's contact links nothing", "contact_other"),
    Identity("own contact with a number outside the directory", "contact_own", phone="+22370000001"),
    Identity("/start with a link code", "start_code", text="/start {code}", **LINKED),
    Identity("a link code works once", "start_code", text="/start {code}", prep="code-used"),
    Identity("/start with an unknown code", "start_code", text="/start 0123456789"),
    Identity("/start with a hostile code", "start_code", text="/start ../../*"),
    Identity("a telegram_id of another contact is never stolen", "contact_own", user_id=LEADER_ID,
             prep="owner-inactive"),
]  # fmt: skip


@pytest.mark.parametrize("case", IDENTITIES, ids=[c.label for c in IDENTITIES])
def test_identity(case: Identity, client, runtime, directory, fake_telegram):
    mamadou = contact(runtime, MAMADOU)
    code = create_link_code(runtime, mamadou.id)
    if case.prep == "code-used":
        first = telegram_update("start_code", user_id=LATECOMER, text=f"/start {code}")
        assert post(client, first).status_code == 200
        handle_queued(runtime)
        assert contact(runtime, MAMADOU).telegram_id == LATECOMER
    if case.prep == "owner-inactive":
        with runtime.db.transaction() as session:
            session.execute(update(Contact).where(Contact.telegram_id == LEADER_ID).values(active=False))
    fields = {"text": case.text.format(code=code)} if case.text else {}
    payload = telegram_update(case.fixture, user_id=case.user_id, **fields)
    if case.phone:
        payload["message"]["contact"]["phone_number"] = case.phone

    assert post(client, payload).status_code == 200
    run_worker(runtime, burst=True)

    [kept] = [m for m in rows(runtime, Direction.IN) if m.provider_id == str(payload["update_id"])]
    linked = contact(runtime, MAMADOU)
    assert (linked.telegram_id == case.user_id) is case.expected_linked
    assert kept.contact_id == (linked.id if case.expected_linked else None)
    if case.prep == "code-used":
        assert linked.telegram_id == LATECOMER
    if case.prep == "owner-inactive":
        assert linked.telegram_id is None
        with runtime.db.transaction() as session:
            assert session.scalar(select(Contact.name).where(Contact.telegram_id == LEADER_ID)) == "Seydou Togo"
    sent = [c for c in fake_telegram.calls_to("sendMessage") if c.chat_id == case.user_id]
    assert len(sent) == 1, [c.text for c in sent]
    assert case.expected_reply in sent[0].text
    assert sent[0].reply_markup == case.expected_keyboard
    assert all(r.status == "sent" for r in rows(runtime, Direction.OUT))


def test_linked_account_is_then_known(client, runtime, directory, fake_telegram):
    """After `/start <code>` the account writes as Mamadou: an alert starts with his village as the default."""
    code = create_link_code(runtime, contact(runtime, MAMADOU).id)
    assert post(client, telegram_update("start_code", user_id=NEWCOMER, text=f"/start {code}")).status_code == 200
    assert post(client, telegram_update("text", user_id=NEWCOMER, text="ALERTE")).status_code == 200
    run_worker(runtime, burst=True)
    texts = [c.text for c in fake_telegram.calls_to("sendMessage") if c.chat_id == NEWCOMER]
    assert texts[-1].startswith("Alerte: où? Répondez 1 pour Kotaka")
    assert {m.contact_id for m in rows(runtime, Direction.IN)} == {contact(runtime, MAMADOU).id}
