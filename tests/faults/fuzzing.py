"""Hypothesis strategies for case 6: what a hostile or broken client may POST to the webhooks (random forms and
JSON, headers, huge bodies, invalid UTF-8, wrong content types), and the same made properly signed, so that the
parsers behind the signature checks get fuzzed too."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from hypothesis import strategies as st

from tests.fakes.telegram_api import SECRET, SECRET_HEADER
from tests.faults.providers import twilio_signature

ANDROID_KEY = "fuzz-signing-key-7"
ENDPOINTS = ("/webhooks/twilio/sms", "/webhooks/twilio/status", "/webhooks/telegram", "/webhooks/android")
MAX_BODY = 64 * 1024
CONTENT_TYPES = (
    "application/x-www-form-urlencoded|application/x-www-form-urlencoded; charset=utf-16|application/json|"
    "application/json; charset=latin-1|text/plain|application/xml|multipart/form-data|"
    "multipart/form-data; boundary=xyz||*/*|application/octet-stream"
).split("|")
HEADER_NAMES = (
    f"X-Twilio-Signature {SECRET_HEADER} X-Signature X-Timestamp X-Forwarded-Proto X-Forwarded-Host X-Forwarded-For "
    "X-Forwarded-Port X-Forwarded-Prefix Content-Encoding Accept User-Agent I-Twilio-Idempotency-Token Cookie "
    "Authorization"
).split()
TWILIO_FIELDS = (
    "MessageSid SmsSid SmsMessageSid AccountSid From To Body NumMedia MessageStatus SmsStatus ErrorCode ApiVersion "
    "NumSegments MediaUrl0 Latitude FromCountry"
).split()
ANDROID_EVENTS = ["sms:received", "sms:sent", "sms:delivered", "sms:failed", "sms:cancelled", "system:ping", "mms:x"]


@st.composite
def mostly(draw, usual: st.SearchStrategy, rare: st.SearchStrategy, odds: int = 4):
    """`usual`, but one time in `odds + 1` `rare` (st.one_of does not weight repeated branches)."""
    return draw(rare if draw(st.integers(0, odds)) == 0 else usual)


# Text as hostile as it gets: NUL, lone surrogates, right-to-left marks, emoji, very long, and ordinary French.
nasty_text = st.one_of(
    st.text(max_size=24),
    st.text(alphabet=st.characters(codec=None), max_size=16),
    st.text(alphabet=st.characters(categories=["Cs", "Cc", "Cf", "So"]), max_size=20),
    st.sampled_from(
        ["\x00", "a\x00b", "\ud800", "\u202eALERTE 3", "ALERTE 3 feu au marché", "AIDE", "STOP", "#12 oui"]
    ),
    st.sampled_from(["𝕬𝖑𝖊𝖗𝖙𝖊", "ﷺ" * 30, "' OR 1=1 --", "%00", "{{7*7}}", "\r\n\r\n"]),
    st.tuples(st.text(min_size=1, max_size=8), st.integers(100, 700)).map(lambda t: t[0] * t[1]),  # long, cheaply
)
latin1 = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=30)
malian = st.integers(60_000_000, 99_999_999).map(lambda n: f"+223{n}")
digits = st.text(alphabet="0123456789 .-+", min_size=4, max_size=18)
phones = mostly(malian, digits | st.just("76 12 34 56") | nasty_text, 2)
json_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False), nasty_text)
json_any = st.recursive(
    json_leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(nasty_text, inner, max_size=4), max_leaves=8
)
ids = mostly(st.integers(1, 2**40), st.integers(-(2**70), 2**70) | st.sampled_from([0, -1]) | json_leaf, 3)


@functools.cache
def twilio_forms(account_sid: str) -> st.SearchStrategy[dict]:
    """Twilio-like forms: a plausible inbound SMS or status callback with random fields changed, added or dropped."""
    plausible = st.fixed_dictionaries(
        {
            "AccountSid": mostly(st.just(account_sid), latin1),
            "From": phones,
            "MessageSid": mostly(st.binary(min_size=16, max_size=16).map(lambda b: "SM" + b.hex()), nasty_text),
            "Body": nasty_text,
        },
        optional={
            "To": phones,
            "NumMedia": st.sampled_from(["0", "1", "-1", "x"]) | nasty_text,
            "MessageStatus": st.sampled_from(["delivered", "sent", "failed", "undelivered", "read"]) | nasty_text,
            "ErrorCode": st.sampled_from(["21610", "30003"]) | nasty_text,
            "SmsStatus": nasty_text,
        },
    )
    anything = st.dictionaries(st.sampled_from(TWILIO_FIELDS) | nasty_text, nasty_text, max_size=12)
    return mostly(plausible, anything, 3)


@functools.cache
def telegram_updates() -> st.SearchStrategy:
    """Telegram-like updates with random types where Telegram puts ids, texts and nested objects; or any JSON."""
    user = st.fixed_dictionaries({"id": ids, "is_bot": mostly(st.just(False), json_leaf), "first_name": nasty_text})
    chat = st.fixed_dictionaries(
        {"id": ids, "type": mostly(st.just("private"), st.sampled_from(["group"]) | json_leaf)}
    )
    message = st.fixed_dictionaries(
        {
            "message_id": ids,
            "date": mostly(st.integers(1_600_000_000, 1_900_000_000), ids),
            "chat": mostly(chat, json_any),
        },
        optional={
            "from": mostly(user, json_any),
            "text": mostly(nasty_text, json_leaf),
            "contact": st.fixed_dictionaries(
                {"phone_number": phones | json_leaf, "user_id": ids, "first_name": nasty_text}
            ),
            "location": st.fixed_dictionaries({"latitude": json_leaf, "longitude": json_leaf}),
        },
    )
    callback = st.fixed_dictionaries(
        {"id": nasty_text | json_leaf, "from": user, "chat_instance": nasty_text},
        optional={"data": nasty_text | json_leaf, "message": message},
    )
    update = st.fixed_dictionaries(
        {"update_id": ids},
        optional={
            "message": message,
            "callback_query": callback,
            "edited_message": message,
            "my_chat_member": json_any,
        },
    )
    return mostly(update, json_any)


@functools.cache
def android_events() -> st.SearchStrategy:
    """SMS Gateway for Android events with random payloads; or any JSON."""
    payload = st.fixed_dictionaries(
        {},
        optional={
            "messageId": json_leaf,
            "sender": phones | json_leaf,
            "phoneNumber": phones,
            "message": nasty_text | json_leaf,
            "receivedAt": json_leaf,
            "reason": json_leaf,
            "recipients": json_any,
        },
    )
    received = st.fixed_dictionaries(
        {
            "messageId": nasty_text | json_leaf,
            "sender": phones,
            "receivedAt": nasty_text,
            "message": nasty_text | json_leaf,
        }
    )
    event = st.fixed_dictionaries(
        {"event": st.sampled_from(ANDROID_EVENTS) | json_leaf, "payload": payload | json_any},
        optional={"id": nasty_text, "deviceId": nasty_text, "webhookId": nasty_text},
    )
    inbound = st.fixed_dictionaries({"event": st.just("sms:received"), "payload": received})
    return mostly(inbound | event, json_any)


@dataclass
class Request:
    """One request to send, in-process or over HTTP."""

    path: str
    query: str = ""  # the raw query string, as a WSGI server hands it on (latin-1 decoded bytes)
    method: str = "POST"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    signed: bool = False
    form: dict | None = None  # what the body encodes, when it is a form

    @property
    def target(self) -> str:
        """Path and query string."""
        return self.path + ("?" + self.query if self.query else "")

    def describe(self, limit: int = 160) -> str:
        """A short, printable description (for failure reports)."""
        shown = {k: v[:40] for k, v in self.headers.items() if k not in ("X-Twilio-Signature", "X-Signature")}
        kind = "signed" if self.signed else "unsigned"
        return f"{self.method} {self.target[:80]} {kind} {shown} body={self.body[:limit]!r}"


def _encode(draw, endpoint: str, account_sid: str, signed: bool) -> tuple[bytes, dict | None, str]:
    """A body (and the form it encodes, if any) and its content type, of a random kind (signed: mostly the kind
    the provider sends, so that the parsers behind the signature check get most of the work)."""
    native = "form" if "twilio" in endpoint else "json"
    kind = draw(st.sampled_from([native] * (12 if signed else 3) + ["form", "json", "raw", "empty", "huge"]))
    if kind == "form":
        form = {_utf8(k): _utf8(v) for k, v in draw(twilio_forms(account_sid)).items()}
        return urlencode(form).encode(), form, "application/x-www-form-urlencoded"
    if kind == "json":
        value = draw(
            telegram_updates() if "telegram" in endpoint else android_events() if "android" in endpoint else json_any
        )
        return json.dumps(value).encode(), None, "application/json"
    if kind == "raw":
        return draw(st.binary(max_size=300)), None, draw(st.sampled_from(CONTENT_TYPES))
    if kind == "huge":
        size = draw(st.integers(MAX_BODY + 1, 4 * MAX_BODY))
        return b"Body=" + b"A" * size, None, "application/x-www-form-urlencoded"
    return b"", None, draw(st.sampled_from(CONTENT_TYPES))


def _utf8(text: str) -> str:
    """The text as a server decodes it once UTF-8 encoded (lone surrogates become U+FFFD)."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


@st.composite
def requests(draw, endpoint: str, signed: bool, account_sid: str, auth_token: str) -> Request:
    """A random request to one webhook, signed the way its provider signs when `signed`."""
    body, form, content_type = _encode(draw, endpoint, account_sid, signed)
    if draw(st.integers(0, 14)) == 0:
        content_type = draw(st.sampled_from(CONTENT_TYPES) | latin1)
    headers = draw(st.dictionaries(st.sampled_from(HEADER_NAMES), latin1, max_size=3))
    headers["Content-Type"] = content_type
    queries = st.sampled_from(
        [
            "",
            "",
            "mid=1",
            "mid=2",
            "mid=99999999999999",
            "mid=%C2%B2",
            "mid=-1",
            "x=%FF%FE",
            "mid=1&mid=2",
            "bodySHA256=abc",
        ]
    ) | latin1.map(lambda q: urlencode({"q": q}))
    query = draw(queries if signed else queries | latin1)  # unsigned: also raw bytes, as a WSGI server passes them
    method = draw(st.sampled_from(["POST"] * 30 + ["GET", "PUT", "DELETE", "PATCH", "HEAD"]))
    request = Request(endpoint, query, method, body, headers, signed, form)
    if signed:
        sign(request, auth_token, draw(st.booleans()))
    return request


def sign(request: Request, auth_token: str, as_form: bool = True) -> None:
    """Sign the request the way its provider does (Twilio signs what it would parse as the form)."""
    for name in ("X-Twilio-Signature", SECRET_HEADER, "X-Signature", "X-Timestamp", "X-Forwarded-Prefix"):
        request.headers.pop(name, None)
    if request.path.startswith("/webhooks/twilio"):
        if request.form is None and as_form:
            request.form = {"Body": request.body.decode("latin-1")[:200]}
            request.body = urlencode(request.form).encode()
        if request.form is not None:
            request.headers["Content-Type"] = "application/x-www-form-urlencoded"
        signed_form = request.form if request.form is not None else {}
        request.headers["X-Twilio-Signature"] = twilio_signature(auth_token, request.target, signed_form)
    elif request.path == "/webhooks/telegram":
        request.headers[SECRET_HEADER] = SECRET
    else:
        timestamp = str(int(time.time()))
        digest = hmac.new(ANDROID_KEY.encode(), request.body + timestamp.encode(), hashlib.sha256).hexdigest()
        request.headers |= {"X-Signature": digest, "X-Timestamp": timestamp}
