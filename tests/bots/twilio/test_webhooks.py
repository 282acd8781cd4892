"""Inbound SMS over Twilio's webhook, as a table of captured-style requests (invariants 1, 2, 5 and 7).

Each row posts a urlencoded body from tests/bots/twilio/fixtures/, signed (or not) the way Twilio signs it, and checks
what an operator would see: the HTTP answer Twilio gets, the inbound messages kept, the replies waiting in the
outbox and the alerts staff can triage. The webhook only stores and queues a handling job; the test then runs
those jobs (`handle_queued`, as a worker would). Nothing is sent: replies stay `queued` rows.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from gateway.models import Alert, Contact, Direction, Message
from tests.inbound_jobs import handle_job_ids, handle_queued

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ACCOUNT_SID = "AC" + "a" * 32
TOKEN = "f3b1c9e27a4d8065b2e9c1d7a0f4e8b3"
PUBLIC_BASE_URL = "https://gw.example.org"
SMS_PATH = "/webhooks/twilio/sms"
LEADER_PHONE = "+22371139685"  # Mamadou Dembélé, leader at Kotaka (Konna, Mopti) in the sample directory
UNKNOWN_PHONE = "+22376000001"  # in no directory
ONESHOT_TEXT = "des hommes armés encerclent le marché de Kotaka"
EMOJI_TEXT = "🔥 les champs brûlent à Ségou"
UNKNOWN_REPLY = "Ce numéro n'est pas enregistré. Contactez votre facilitateur."


def load_form(name: str, **overrides: str | None) -> dict[str, str]:
    """A captured body from tests/bots/twilio/fixtures/<name>.txt as ordered fields; an override of None drops one."""
    form = dict(parse_qsl((FIXTURES / f"{name}.txt").read_text(encoding="utf-8").strip(), keep_blank_values=True))
    for key, value in overrides.items():
        if value is None:
            form.pop(key, None)
        else:
            form[key] = value
    return form


def sign(url: str, form: dict[str, str], token: str = TOKEN) -> dict[str, str]:
    """The X-Twilio-Signature header Twilio would send for this URL and form, computed by twilio's own library."""
    return {"X-Twilio-Signature": RequestValidator(token).compute_signature(url, form)}


def post_form(client, path: str, form: dict[str, str], headers: dict[str, str]):
    """POST the form urlencoded, in the fixture's field order, as Twilio does."""
    return client.post(path, data=urlencode(form), content_type="application/x-www-form-urlencoded", headers=headers)


def twiml_children(response) -> list[str]:
    """The tags inside the TwiML answer, failing the test when the answer is not a TwiML document."""
    assert response.content_type.startswith("application/xml"), response.content_type
    root = ET.fromstring(response.get_data())
    assert root.tag == "Response"
    return [child.tag for child in root]


@pytest.fixture
def public_base_url() -> str | None:
    """PUBLIC_BASE_URL of the test gateway (parametrize with None to run without one)."""
    return PUBLIC_BASE_URL


@pytest.fixture
def twilio_env(public_base_url) -> dict[str, str]:
    """The Twilio settings of the test gateway (parametrize with {} to switch the channel off)."""
    out = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM_NUMBER": "+15005550006"}
    return {**out, "PUBLIC_BASE_URL": public_base_url} if public_base_url else out


@pytest.fixture
def env(base_env, twilio_env) -> dict[str, str]:
    """The test gateway with the Twilio channel."""
    return {**base_env, **twilio_env}


@dataclass(frozen=True)
class Case:
    """One webhook request and everything it should leave behind."""

    label: str
    fixture: str
    fields: dict[str, str | None] = field(default_factory=dict)  # overrides of the captured body; None drops
    prep: str = "sign"  # sign | unsigned | bad-sign | sign-other-url | sign-with-other-token
    headers: dict[str, str] = field(default_factory=dict)
    path: str = SMS_PATH
    signed_url: str | None = None  # what the signature covers, when not PUBLIC_BASE_URL + path
    before: tuple[str, ...] = ()  # fixtures posted (signed) first, by the same gateway
    posts: int = 1  # >1: Twilio retries the very same request
    expected_status: int = 200
    expected_in_response: str = ""  # in the JSON reason of a refusal
    expected_messages_stored: int = 1
    expected_sender_known: bool = True
    expected_replies: tuple[str, ...] = ()  # one entry per queued reply; "{ref}" is the first alert's id
    expected_alerts: tuple[dict, ...] = ()  # attributes of each alert, oldest first


NOTHING = {"expected_messages_stored": 0, "expected_replies": (), "expected_alerts": ()}
REFUSED = {"expected_status": 403, "expected_in_response": "X-Twilio-Signature", **NOTHING}
ONESHOT = {"source": "oneshot", "severity": 3, "status": "new", "description": ONESHOT_TEXT, "village": "Kotaka"}
# A number outside the directory can report: an untriaged report with no reporter, no place, no severity.
ANONYMOUS_REPORT = {"source": "freetext", "severity": None, "district_id": None, "commune": None}
UNKNOWN_ALERT_FIELDS = {"MessageSid": "SM" + "e1" * 16, "Body": "ALERTE 3 on brule les greniers"}

CASES = [
    Case("one-shot alert from a leader", "receive_alert_oneshot",
         expected_replies=("Alerte #{ref} enregistrée, gravité 3",), expected_alerts=(ONESHOT,)),
    Case("free text becomes an untriaged report", "receive_freetext",
         expected_replies=("Message recu #{ref}. Merci, un facilitateur va le lire.",),
         expected_alerts=({"source": "freetext", "status": "new", "severity": None},)),
    Case("missing signature", "receive_alert_oneshot", prep="unsigned", **REFUSED),
    Case("bad signature", "receive_alert_oneshot", prep="bad-sign", **REFUSED),
    Case("signature for the local URL, not the public one", "receive_alert_oneshot", prep="sign-other-url",
         signed_url="http://localhost" + SMS_PATH, **REFUSED),
    Case("signature for the plain-http public URL", "receive_alert_oneshot", prep="sign-other-url",
         signed_url="http://gw.example.org" + SMS_PATH, **REFUSED),
    Case("signature with another auth token", "receive_alert_oneshot", prep="sign-with-other-token", **REFUSED),
    Case("signature over a tampered body", "receive_alert_oneshot", prep="sign-then-tamper", **REFUSED),
    Case("replay of the same MessageSid", "receive_alert_oneshot", posts=2,
         expected_replies=("Alerte #{ref} enregistrée",), expected_alerts=(ONESHOT,)),
    Case("another Twilio account", "receive_alert_oneshot", fields={"AccountSid": "AC" + "b" * 32},
         expected_status=400, expected_in_response="AccountSid", **NOTHING),
    Case("missing MessageSid", "receive_alert_oneshot", fields={"MessageSid": None, "SmsSid": None,
         "SmsMessageSid": None}, expected_status=400, expected_in_response="missing field(s): MessageSid", **NOTHING),
    Case("missing From", "receive_alert_oneshot", fields={"From": None},
         expected_status=400, expected_in_response="missing field(s): From", **NOTHING),
    Case("From is not a phone number", "receive_alert_oneshot", fields={"From": "not-a-number"},
         expected_status=400, expected_in_response="From", **NOTHING),
    Case("oversized body", "receive_freetext", fields={"Body": "x" * 70_000},
         expected_status=413, expected_in_response="over 64 KiB", **NOTHING),
    Case("unknown sender can report and gets one neutral answer", "receive_unknown_sender",
         expected_sender_known=False, expected_replies=(UNKNOWN_REPLY,), expected_alerts=(ANONYMOUS_REPORT,)),
    Case("unknown sender's second message the same day gets no answer", "receive_unknown_sender",
         before=("receive_unknown_sender",), fields={"MessageSid": "SM" + "d2" * 16, "Body": "Allo?"},
         expected_messages_stored=2, expected_sender_known=False, expected_replies=(UNKNOWN_REPLY,),
         expected_alerts=(ANONYMOUS_REPORT, ANONYMOUS_REPORT)),
    Case("unknown sender's ALERTE raises no alert, only an untriaged report", "receive_unknown_sender",
         fields=UNKNOWN_ALERT_FIELDS, expected_sender_known=False, expected_replies=(UNKNOWN_REPLY,),
         expected_alerts=({**ANONYMOUS_REPORT, "description": UNKNOWN_ALERT_FIELDS["Body"]},)),
    Case("empty body from a leader gets the help text", "receive_empty_body",
         expected_replies=("ALERTE: signaler un incident. ALERTE 3 + texte: urgence. ANNULER: arreter.",)),
    Case("emoji (UCS-2) text is kept verbatim and reported", "receive_emoji",
         expected_replies=("Message recu #{ref}",),
         expected_alerts=({"source": "freetext", "description": EMOJI_TEXT},)),
    Case("query string is part of the signed URL", "receive_freetext", path=SMS_PATH + "?x=1",
         expected_replies=("Message recu #{ref}",), expected_alerts=({"source": "freetext"},)),
    Case("query string dropped after signing", "receive_freetext", prep="sign-other-url",
         signed_url=PUBLIC_BASE_URL + SMS_PATH + "?x=1", **REFUSED),
]  # fmt: skip


def prepare(case: Case, form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The form and headers to send for the case's `prep`."""
    url = PUBLIC_BASE_URL + case.path
    headers = dict(case.headers)
    if case.prep == "sign":
        headers |= sign(url, form)
    elif case.prep == "bad-sign":
        headers["X-Twilio-Signature"] = "bm90IGEgcmVhbCBzaWduYXR1cmU="
    elif case.prep == "sign-other-url":
        headers |= sign(case.signed_url, form)
    elif case.prep == "sign-with-other-token":
        headers |= sign(url, form, token="0" * 32)
    elif case.prep == "sign-then-tamper":
        headers |= sign(url, form)
        form = {**form, "Body": "ALERTE 1 tout est calme"}
    else:
        assert case.prep == "unsigned", case.prep
    return form, headers


def leader_id(runtime) -> int:
    """The directory id of the leader the fixtures come from."""
    with runtime.db.transaction() as session:
        return session.scalar(select(Contact.id).where(Contact.phone == LEADER_PHONE, Contact.role == "leader"))


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_inbound_sms(case: Case, client, runtime, directory):
    for name in case.before:
        earlier = load_form(name)
        assert post_form(client, SMS_PATH, earlier, sign(PUBLIC_BASE_URL + SMS_PATH, earlier)).status_code == 200
    form, headers = prepare(case, load_form(case.fixture, **case.fields))
    responses = [post_form(client, case.path, form, headers) for _ in range(case.posts)]

    first = responses[0]
    assert first.status_code == case.expected_status, first.get_data(as_text=True)[:300]
    for again in responses[1:]:
        assert (again.status_code, again.get_data()) == (first.status_code, first.get_data()), (
            "replay answered differently"
        )
    if case.expected_status == 200:
        assert twiml_children(first) == [], "replies go through the outbox, never in the TwiML answer"
    else:
        assert first.is_json, first.get_data(as_text=True)[:300]
        assert case.expected_in_response in first.get_json()["reason"]
    assert len(handle_job_ids(runtime)) == case.expected_messages_stored, "one handling job per message stored"
    handle_queued(runtime)

    sender = LEADER_PHONE if case.expected_sender_known else form.get("From")
    contact_id = leader_id(runtime) if case.expected_sender_known else None
    with runtime.db.transaction() as session:
        inbound = session.scalars(select(Message).where(Message.direction == Direction.IN).order_by(Message.id)).all()
        replies = session.scalars(
            select(Message).where(Message.direction == Direction.OUT, Message.address == sender).order_by(Message.id)
        ).all()
        alerts = session.scalars(select(Alert).order_by(Alert.id)).all()

        assert len(inbound) == case.expected_messages_stored
        if inbound:
            kept = inbound[-1]
            assert (kept.provider_id, kept.body, kept.address) == (form["MessageSid"], form["Body"], sender)
            assert kept.channel == "twilio" and kept.status == "received" and kept.contact_id == contact_id
            assert all(m.processed_at is not None for m in inbound), "stored but never handled"

        ref = alerts[0].id if alerts else None
        assert len(replies) == len(case.expected_replies), [r.body for r in replies]
        for reply, expected in zip(replies, case.expected_replies, strict=True):
            assert expected.format(ref=ref) in reply.body
            assert (reply.channel, reply.address, reply.status) == ("twilio", sender, "queued")
            assert reply.contact_id == contact_id

        assert len(alerts) == len(case.expected_alerts)
        sources = inbound[len(inbound) - len(alerts) :]
        for alert, expected, source in zip(alerts, case.expected_alerts, sources, strict=True):
            assert {k: getattr(alert, k) for k in expected} == expected
            assert alert.reporter_id == contact_id and alert.channel == "twilio"
            assert source.alert_id == alert.id, "the alert does not point back to the message it came from"


def test_guided_alert_over_several_webhooks_is_handled_in_order(client, runtime, directory):
    """ALERTE, 1 (the leader's village), 2 (armed group), 3 (urgent), then a description: one complete alert."""
    answers = ["ALERTE", "1", "2", "3", "Des motos armées tournent autour du village depuis ce matin"]
    for number, text in enumerate(answers):
        form = load_form("receive_freetext", Body=text, MessageSid=f"SM{number:032x}")
        response = post_form(client, SMS_PATH, form, sign(PUBLIC_BASE_URL + SMS_PATH, form))
        assert response.status_code == 200, response.get_data(as_text=True)
        assert handle_queued(runtime) == 1
    with runtime.db.transaction() as session:
        alerts = session.scalars(select(Alert)).all()
        assert [(a.category, a.severity, a.status, a.source) for a in alerts] == [("armed_group", 3, "new", "guided")]
        assert (alerts[0].place, alerts[0].description) == ("Kotaka", answers[-1])
        replies = session.scalars(
            select(Message.body)
            .where(Message.direction == Direction.OUT, Message.address == LEADER_PHONE)
            .order_by(Message.id)
        )
        replies = list(replies)
    assert replies[0].startswith("Alerte: où? Répondez 1 pour Kotaka")
    assert replies[1].startswith("Quoi? 1 violence") and replies[2].startswith("Gravité?")
    assert replies[3].startswith("Décrivez") and replies[4].startswith(f"Alerte #{alerts[0].id} enregistrée")


@pytest.mark.parametrize("public_base_url", [None], ids=["no PUBLIC_BASE_URL"])
@pytest.mark.parametrize(
    ("forwarded", "expected_status", "expected_stored"),
    [(True, 200, 1), (False, 403, 0)],
    ids=["with X-Forwarded-Proto/Host", "without forwarded headers"],
)
def test_behind_a_proxy_the_signature_covers_the_public_url(
    forwarded, expected_status, expected_stored, client, runtime, directory
):
    """Without PUBLIC_BASE_URL the signed URL is rebuilt from the proxy's X-Forwarded-* headers."""
    form = load_form("receive_freetext")
    headers = sign("https://public.example.org" + SMS_PATH, form)
    if forwarded:
        headers |= {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "public.example.org"}
    response = post_form(client, SMS_PATH, form, headers)
    assert response.status_code == expected_status, response.get_data(as_text=True)
    with runtime.db.transaction() as session:
        assert len(session.scalars(select(Message).where(Message.direction == Direction.IN)).all()) == expected_stored


@pytest.mark.parametrize("twilio_env", [{}], ids=["no TWILIO_* settings"])
@pytest.mark.parametrize("path", [SMS_PATH, "/webhooks/twilio/status?mid=1"])
def test_twilio_webhooks_answer_404_when_the_channel_is_off(path, client, runtime, directory):
    form = load_form("receive_alert_oneshot")
    response = post_form(client, path, form, sign(PUBLIC_BASE_URL + path, form))
    assert response.status_code == 404
    assert response.is_json and "twilio channel is not configured" in response.get_json()["reason"]
    with runtime.db.transaction() as session:
        assert session.scalars(select(Message)).all() == []
