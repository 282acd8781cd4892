"""Case 6: 10,000 fuzzed requests through the Flask test client against every webhook, signed and
unsigned (a fixed hostile corpus first, then hypothesis' random forms, JSON, headers, query strings, huge bodies,
invalid UTF-8 and wrong content types). No 5xx, no error logged while handling, a 4xx always with a reason, nothing
stored from an unsigned request, and nothing left in the spool while the database is up (invariants 5 and 7).
Then a few hundred more, and a handful of malformed HTTP requests, over real sockets to the gateway under gunicorn."""

from __future__ import annotations

import os
import re
from collections import Counter

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from gateway.messaging.outbox import queue_message
from tests.faults.fuzzcheck import STORED, Campaign, raw_exchange, raw_http
from tests.faults.fuzzing import ANDROID_KEY, ENDPOINTS, MAX_BODY, Request, requests
from tests.faults.hostile import corpus
from tests.faults.scale import count

pytestmark = [pytest.mark.faults]

# 10,000 requests in all: how many per webhook and kind.
EXAMPLES = {
    ("/webhooks/twilio/sms", False): 1200,
    ("/webhooks/twilio/sms", True): 1500,
    ("/webhooks/twilio/status", False): 1000,
    ("/webhooks/twilio/status", True): 1200,
    ("/webhooks/telegram", False): 1000,
    ("/webhooks/telegram", True): 1600,
    ("/webhooks/android", False): 1000,
    ("/webhooks/android", True): 1500,
}
TOTALS: Counter = Counter()
FUZZ_SETTINGS = dict(
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    # CI replays one fixed campaign (a submission must not fail on a draw no one has seen); runs on a
    # developer's machine explore new inputs every time.
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=list(HealthCheck),
)
CASES = [(path, signed) for path in ENDPOINTS for signed in (False, True)]


@pytest.fixture
def env(env) -> dict[str, str]:
    """The gateway of the conftest, with the local-SIM phone channel too (its webhook gets fuzzed)."""
    return {
        **env,
        "ANDROID_GATEWAY_URL": "http://127.0.0.1:9",
        "ANDROID_GATEWAY_SIGNING_KEY": ANDROID_KEY,
        "SMS_CHANNEL": "twilio",
    }


@pytest.fixture
def message_ids(runtime) -> dict[str, int]:
    """One outbound message per channel, so that status reports have something to move."""
    ids = {}
    with runtime.db.transaction() as session:
        for channel, address in (("twilio", "+22376543210"), ("telegram", "9100600001"), ("android", "+22376543211")):
            ids[channel] = queue_message(session, runtime, body="Reunion demain", channel=channel, address=address).id
    return ids


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    ("path", "signed"), CASES, ids=[f"{p.rsplit('/', 1)[-1]}-{s and 'signed' or 'unsigned'}" for p, s in CASES]
)
def test_fuzzed_webhook_requests_never_crash_nor_store_unsigned(
    path, signed, runtime, client, fake_twilio, message_ids, row
):
    """6a. 10,000 fuzzed webhook requests, in-process."""
    campaign = Campaign(runtime)
    sid, token = fake_twilio.account_sid, fake_twilio.auth_token
    for request in corpus(path, signed, sid, token, message_ids):
        campaign.send(client, request, check_storage=not signed)

    @settings(max_examples=EXAMPLES[(path, signed)], **FUZZ_SETTINGS)
    @given(requests(path, signed, sid, token))
    def fuzz(request):
        """One random request, judged."""
        campaign.send(client, request, check_storage=not signed)

    try:
        fuzz()
    finally:
        TOTALS["sent"] += campaign.sent
        TOTALS["5xx"] += sum(n for status, n in campaign.statuses.items() if status >= 500)
        TOTALS["anomalies"] += sum(n for n, _ in campaign.anomalies.values())
        if not signed:
            TOTALS["unsigned"] += campaign.sent
            TOTALS["unsigned stored"] += sum(n for what, (n, _) in campaign.anomalies.items() if STORED in what)
        row.set(
            sent=f"{TOTALS['sent']:,} requests ({TOTALS['unsigned']:,} unsigned)",
            stored=f"{TOTALS['unsigned stored']} stored from unsigned",
            duplicates="n/a",
            lost="n/a",
            five_xx=f"{TOTALS['5xx']} ({TOTALS['anomalies']} anomalies in all)",
        )
    print(f"{path} {'signed' if signed else 'unsigned'}: {campaign.sent} requests, answers {dict(campaign.statuses)}")
    assert not campaign.anomalies, f"{len(campaign.anomalies)} kind(s) of failure:\n{campaign.report()}"


# Requests no HTTP client library would send: gunicorn must refuse them itself, without a 5xx or a traceback.
MALFORMED_HTTP = [
    b"GARBAGE\r\n\r\n",
    b"POST /webhooks/twilio/sms HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\nBody=1",
    b"POST /webhooks/twilio/sms HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"POST /webhooks/telegram HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
    b"POST /webhooks/android HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    + b"4000\r\n"
    + b"A" * 16384
    + b"\r\n" * 1
    + b"4000\r\n"
    + b"A" * 16384
    + b"\r\n"
    + b"4000\r\n"
    + b"A" * 16384
    + b"\r\n"
    + b"4000\r\n"
    + b"A" * 16384
    + b"\r\n"
    + b"4000\r\n"
    + b"A" * 16384
    + b"\r\n0\r\n\r\n",
    b"POST /webhooks/twilio/sms HTTP/1.1\r\nHost: x\r\nX-Twilio-Signature: a\x00b\r\nContent-Length: 0\r\n\r\n",
    b"POST /webhooks/twilio/sms HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 100_000 + b"\r\n\r\n",
    b"POST /webhooks/twilio/sms HTTP/1.0\r\nContent-Length: 6\r\n\r\nBody=1",
    b"POST http://evil.example/webhooks/twilio/sms HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    b"POST /webhooks/telegram HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{}",
    b"POST /webhooks/telegram HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
    b"POST /webhooks/twilio/status?mid=\xff\xfe HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
]
HTTP_EXAMPLES = count(400, 300)
LOG_TROUBLE = ("Traceback", "unhandled", "Error handling request", "not handled", "could not be stored", "spooling")


@pytest.mark.e2e
@pytest.mark.timeout(300)
def test_fuzzed_requests_over_http_to_gunicorn(runtime, gateway, fake_twilio, message_ids, row):
    """6b. Fuzzed webhook requests over real HTTP to gunicorn."""
    base = gateway.web()
    host, port = base.removeprefix("http://").split(":")
    campaign = Campaign(runtime)
    sid, token = fake_twilio.account_sid, fake_twilio.auth_token
    for data in MALFORMED_HTTP:
        status, content_type, body = raw_exchange(host, int(port), data)
        campaign.judge(Request("raw", body=data[:120]), status, "application/json", b'{"reason": "-"}', [], None)
    strategy = st.sampled_from(CASES).flatmap(lambda case: requests(case[0], case[1], sid, token))

    def send(request: Request) -> None:
        """Send one request over a raw socket and judge the answer (gunicorn's own refusals of bad HTTP allowed)."""
        status, content_type, body = raw_http(host, int(port), request)
        if status == 0 and len(request.body) > MAX_BODY:
            status, content_type, body = 413, "application/json", b'{"reason": "reset after a 413"}'
        if status in (400, 414, 431) and b"<html>" in body.lower():  # gunicorn's own refusal of bad HTTP
            refused["by gunicorn"] += 1
            content_type, body = "application/json", b'{"reason": "refused by gunicorn"}'
        campaign.judge(request, status, content_type, body, [], campaign.stored())

    @settings(max_examples=HTTP_EXAMPLES, **FUZZ_SETTINGS)
    @given(strategy)
    def fuzz(request):
        """One random request over HTTP."""
        send(request)

    refused: Counter = Counter()
    campaign.baseline = campaign.stored()
    for path, signed in CASES:
        for request in corpus(path, signed, sid, token, message_ids):
            send(request)
    fuzz()
    output = gateway.started[0].output()
    for line in output.splitlines():
        if any(word in line for word in LOG_TROUBLE):
            kind = re.sub(r"\d+", "N", re.sub(r"^[\d\-: ,]+", "", line))[:100]
            campaign.note(f"gunicorn's log: {kind}", None, line)
    fives = sum(n for status, n in campaign.statuses.items() if status >= 500)
    row.set(
        sent=f"{campaign.sent} requests ({len(MALFORMED_HTTP)} malformed HTTP)",
        duplicates="n/a",
        lost="n/a",
        stored=f"{sum(n for w, (n, _) in campaign.anomalies.items() if STORED in w)} stored from unsigned",
        five_xx=f"{fives} ({sum(n for n, _ in campaign.anomalies.values())} anomalies in all)",
    )
    print(
        f"over HTTP: {campaign.sent} requests, answers {dict(campaign.statuses)}, {refused['by gunicorn']} of them "
        "refused by gunicorn itself"
    )
    assert not campaign.anomalies, f"{len(campaign.anomalies)} kind(s) of failure:\n{campaign.report()}"
