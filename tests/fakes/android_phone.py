"""A fake Android phone running "SMS Gateway for Android" (capcom6) v1.68 in local-server mode, on 127.0.0.1.

Its local API: Basic auth (401 otherwise); `GET /health` (no auth); `POST /messages` (alias `/message`) validated
like the app (400 `{"message": …}`), 409 for an id it has, else 202 with the Message; `GET /messages/{id}`;
`GET/POST/DELETE /webhooks` (upsert on id, 201; https:// or http://127.0.0.1 only); `POST /inbox/refresh` (and the older
`/messages/inbox/export`) and `GET /inbox`, as the app keeps its received SMS (tests/fakes/android_inbox.py).
It records every request, can be
scripted (5xx, hang), can enforce Android's 30-parts-a-minute cap (parts past it: Failed, RESULT_ERROR_LIMIT_EXCEEDED)
and emits the app's signed webhooks, retried with the same body and envelope id, re-signed every attempt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import string
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections import deque, namedtuple
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler

from gateway.messaging.sms_text import count_segments
from tests.fakes.android_inbox import PhoneInbox
from tests.fakes.local_server import LocalServer

USER, PASSWORD, SIGNING_KEY = "sms", "pW4-kq9Zt2", "Hk7mQ2xz"
DEVICE_ID, USER_AGENT = "fK3x9QmZ2pL7vR1s", "me.capcom.smsgateway/1.68.0"
WEBHOOK_PATH = "/webhooks/android"
CAP_PER_MINUTE = 30  # Android's SmsUsageMonitor: SMS parts per app per 60 s
EVENTS = (
    "sms:received",
    "sms:data-received",
    "sms:sent",
    "sms:delivered",
    "sms:failed",
    "system:ping",
    "mms:received",
    "mms:downloaded",
)
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_CONTENT = ("textMessage", "dataMessage", "message")
_NANO = string.ascii_letters + string.digits + "_-"


def nanoid(size: int = 21) -> str:
    """A NanoID, as the app gives envelopes and webhooks."""
    return "".join(secrets.choice(_NANO) for _ in range(size))


def iso(moment: datetime | None = None) -> str:
    """The app's timestamps: ISO-8601 with milliseconds and offset (Mali: +00:00)."""
    return (moment or datetime.now(UTC)).isoformat(timespec="milliseconds")


# A scripted answer to the next `POST /messages` (`body` None with 202: the normal one; `delay`: a hang).
Canned = namedtuple("Canned", "status body delay", defaults=(202, None, 0.0))
# One request the phone received, and how it answered (`at`: epoch seconds).
Recorded = namedtuple("Recorded", "method path body auth_ok answered at")
# One webhook POST the phone made: what it sent, how it was signed, what it got back.
Delivery = namedtuple("Delivery", "envelope body timestamp signature status")


class FakePhone(PhoneInbox, LocalServer):
    """The phone: its API server, its messages and webhooks, and its webhook emitter."""

    thread_name = "fake-phone"

    def __init__(self, password: str = PASSWORD, signing_key: str = SIGNING_KEY) -> None:
        self.password, self.signing_key = password, signing_key
        self.cap: int | None = None  # CAP_PER_MINUTE: Android fails the parts past it
        self.messages, self.parts, self.webhooks = {}, {}, {}  # by id: Message bodies, their SMS parts, webhooks
        self.accepted, self.deliveries = [], []  # (epoch, parts, id) of each message it took to send; webhook POSTs
        self._init_inbox()
        self.route_to = None  # where its webhooks land instead of their URL (a Flask test client), when set
        self._requests, self._script, self._lock = [], deque(), threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """This fake's routes."""
        return _Handler

    def env(self) -> dict[str, str]:
        """The gateway settings that make this phone the SMS channel."""
        names = ("SMS_CHANNEL", "URL", "USER", "PASSWORD", "SIGNING_KEY")
        values = ("android", self.url, USER, self.password, self.signing_key)
        return {(n if n == "SMS_CHANNEL" else "ANDROID_GATEWAY_" + n): v for n, v in zip(names, values, strict=True)}

    def script(self, *answers: Canned) -> None:
        """Answer the next `POST /messages` with these, in order; then normally again."""
        self._script.extend(answers)

    @property
    def requests(self) -> list[Recorded]:
        """Every request so far, oldest first."""
        return list(self._requests)

    def posts(self) -> list[Recorded]:
        """The `POST /messages` requests."""
        return [r for r in self.requests if r.method == "POST" and r.path == "/messages"]

    def busiest_minute(self, window: float = 60.0) -> int:
        """The most parts the phone accepted within any sliding window of `window` seconds."""
        with self._lock:
            times = sorted((at, parts) for at, parts, _ in self.accepted)
        return max((sum(p for t, p in times if start <= t < start + window) for start, _ in times), default=0)

    def post_message(self, body, query: str) -> tuple[int, dict]:
        """`POST /messages`: validate, refuse a known id, else take the message (Failed past the cap)."""
        if error := _invalid(body, "skipPhoneValidation=true" in query):
            return 400, {"message": error}
        text = (body.get("textMessage") or {}).get("text") or body.get("message") or ""
        parts, now = count_segments(text).segments if text else 1, time.time()
        with self._lock:
            message_id = body.get("id") or nanoid()
            if message_id in self.messages:
                return 409, {"message": f"message with id {message_id} already exists"}
            failed = self.cap is not None and sum(p for at, p, _ in self.accepted if at > now - 60) + parts > self.cap
            state, error = ("Failed", "RESULT_ERROR_LIMIT_EXCEEDED") if failed else ("Pending", None)
            if not failed:
                self.accepted.append((now, parts, message_id))
            recipients = [{"phoneNumber": p, "state": state, "error": error} for p in body["phoneNumbers"]]
            message = {"id": message_id, "deviceId": DEVICE_ID, "state": state, "isHashed": False, "isEncrypted": False}
            self.messages[message_id] = {**message, "recipients": recipients, "states": {state: iso()}}
            self.parts[message_id] = parts
            return 202, self.messages[message_id]

    def post_webhook(self, body) -> tuple[int, dict]:
        """`POST /webhooks`: an upsert on id, one event each; https:// or http://127.0.0.1 only."""
        if not isinstance(body, dict) or body.get("event") not in EVENTS:
            return 400, {"message": "event is required and must be a known event"}
        url = str(body.get("url") or "")
        if not url.startswith(("https://", "http://127.0.0.1")):
            return 400, {"message": "url must start with https:// or http://127.0.0.1"}
        hook = {"id": body.get("id") or nanoid(), "url": url, "event": body["event"], "deviceId": DEVICE_ID}
        with self._lock:
            self.webhooks[hook["id"]] = hook
        return 201, hook

    def envelope(self, event: str, payload: dict | None) -> dict:
        """A fresh envelope (a new NanoID) around a payload."""
        hook = f"gateway-{event.replace(':', '-')}"
        return {"deviceId": DEVICE_ID, "event": event, "id": nanoid(), "webhookId": hook, "payload": payload}

    def deliver(self, target, envelope: dict | bytes, retries: int = 0, skew: float = 0, key: str | None = None):
        """POST an envelope (or raw bytes) to a URL or a Flask test client, signed; after a non-2xx retry `retries`
        times, same body, re-signed with a fresh timestamp. `skew`/`key`: the first attempt's clock offset/key."""
        body = envelope if isinstance(envelope, bytes) else json.dumps(envelope, ensure_ascii=False).encode()
        made: list[Delivery] = []
        for attempt in range(retries + 1):
            timestamp = str(int(time.time() + (skew if attempt == 0 else 0)))
            secret = (key if attempt == 0 and key else self.signing_key).encode()  # X-Signature: HMAC(body + ts)
            signature = hmac.new(secret, body + timestamp.encode(), hashlib.sha256).hexdigest()
            headers = {"X-Signature": signature, "X-Timestamp": timestamp, "User-Agent": USER_AGENT}
            status = _post(target, body, {**headers, "Content-Type": "application/json"})
            made.append(Delivery(envelope if isinstance(envelope, dict) else {}, body, timestamp, signature, status))
            if 200 <= status < 300:
                break
            time.sleep(0.01 * 2**attempt)  # the app's 5 s x 2^n backoff, compressed
        with self._lock:
            self.deliveries.extend(made)
        return made

    def inject_mms(
        self, target, sender: str, body: str, attachments: list[tuple[str, bytes]], received_at: datetime | None = None
    ) -> tuple[Delivery, Delivery]:
        """An MMS arrives: `mms:received` (the notice, no content), then once downloaded `mms:downloaded` with the
        text and each attachment inline as base64 (after a SMIL layout part, as phones send them)."""
        when = iso(received_at)
        message_id = f"{zlib.crc32(f'{sender}|{when}|mms|{body}'.encode()):08x}"
        size = sum(len(content) for _, content in attachments)
        notice = {"messageId": message_id, "phoneNumber": sender, "simNumber": 1, "transactionId": f"T{message_id}"}
        notice |= {"subject": None, "attachmentCount": len(attachments), "size": size, "receivedAt": when}
        first = self.deliver(target, self.envelope("mms:received", notice))[-1]
        smil = ("application/smil", b"<smil><body><par><img region='Image'/></par></body></smil>")
        parts = [
            {"partId": index + 1, "contentType": kind, "name": None, "size": len(content),
             "data": base64.b64encode(content).decode()}
            for index, (kind, content) in enumerate([smil, *attachments])
        ]  # fmt: skip
        payload = {"messageId": message_id, "sender": sender, "phoneNumber": sender, "recipient": None}
        payload |= {"simNumber": 1, "body": body, "subject": None, "attachments": parts, "receivedAt": when}
        return first, self.deliver(target, self.envelope("mms:downloaded", payload))[-1]

    def inject_data(self, target, sender: str, data: bytes, received_at: datetime | None = None) -> Delivery:
        """A binary (port-addressed) SMS arrives: `sms:data-received` with the bytes as base64."""
        when = iso(received_at)
        encoded = base64.b64encode(data).decode()
        message_id = f"{zlib.crc32(f'{sender}|{when}|data|{encoded}'.encode()):08x}"
        payload = {"messageId": message_id, "phoneNumber": sender, "simNumber": 1, "data": encoded, "receivedAt": when}
        return self.deliver(target, self.envelope("sms:data-received", payload))[-1]

    def redeliver(self, target, delivery: Delivery, **kw) -> Delivery:
        """The app's duplicate bug: the same payload again in a new envelope (new id), signed anew."""
        return self.deliver(target, {**delivery.envelope, "id": nanoid()}, **kw)[-1]

    def emit(self, target, event: str, our_id: str, reason: str = "RESULT_ERROR_GENERIC_FAILURE") -> list[Delivery]:
        """sms:sent (once), sms:delivered (once per part) or sms:failed (with Android's reason) for a message."""
        message, parts = self.messages.get(our_id, {}), self.parts.get(our_id, 1)
        recipient = (message.get("recipients") or [{}])[0].get("phoneNumber")
        payload = {"messageId": our_id, "sender": None, "recipient": recipient, "simNumber": 1, "partsCount": parts}
        failed = {"reason": reason, "failedAt": iso()}
        payload |= {"sms:sent": {"sentAt": iso()}, "sms:delivered": {"deliveredAt": iso()}, "sms:failed": failed}[event]
        times = parts if event == "sms:delivered" else 1
        return [self.deliver(target, self.envelope(event, payload))[-1] for _ in range(times)]

    def _auth_ok(self, header: str | None) -> bool:
        expected = "Basic " + base64.b64encode(f"{USER}:{self.password}".encode()).decode()
        return hmac.compare_digest(header or "", expected)


def _invalid(body, skip_phone_validation: bool) -> str | None:
    """Why the app refuses a send request; None when it is valid."""
    if not isinstance(body, dict):
        return "request body must be a JSON object"
    numbers, text = body.get("phoneNumbers"), body.get("textMessage")
    numbers_ok = isinstance(numbers, list) and bool(numbers)
    e164 = skip_phone_validation or (numbers_ok and all(isinstance(n, str) and _E164.match(n) for n in numbers))
    checks = {
        "exactly one of textMessage, dataMessage or message": sum(body.get(k) is not None for k in _CONTENT) != 1,
        "textMessage.text is required": "textMessage" in body and not (isinstance(text, dict) and text.get("text")),
        "phoneNumbers must not be empty": not numbers_ok,
        "phone numbers must be in E.164 format": not e164,
        "simNumber must be >= 1": isinstance(body.get("simNumber"), int) and body["simNumber"] < 1,
        "ttl and validUntil are mutually exclusive": None not in (body.get("ttl"), body.get("validUntil")),
    }
    return next((reason for reason, bad in checks.items() if bad), None)


def _post(target, body: bytes, headers: dict[str, str]) -> int:
    """POST to a URL (urllib) or a Flask test client; the HTTP status, 0 when nothing answered."""
    if not isinstance(target, str):
        return target.post(WEBHOOK_PATH, data=body, headers=headers).status_code
    try:
        with urllib.request.urlopen(urllib.request.Request(target, body, headers, method="POST"), timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


class _Handler(BaseHTTPRequestHandler):
    """The local server's routes."""

    owner: FakePhone
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the names http.server dispatches to
        """`/health` (no auth), `/messages/{id}`, `/webhooks`."""
        self._serve()

    do_POST = do_DELETE = do_GET  # noqa: N815 - `/messages`, `/webhooks`; `/webhooks/{id}`

    def _serve(self) -> None:
        owner, method, (path, _, query) = self.owner, self.command, self.path.partition("?")
        path = {"/message": "/messages", "/webhook": "/webhooks"}.get(path, path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = ...
        auth_ok, canned, item = owner._auth_ok(self.headers.get("Authorization")), None, path.rpartition("/")[2]
        extra: dict[str, str] = {}
        if (method, path) == ("GET", "/health"):
            status, answer = 200, {"status": "pass", "version": "1.68.0", "checks": {}}
        elif not auth_ok:
            status, answer = 401, {"message": "Unauthorized"}
        elif body is ...:
            status, answer = 400, {"message": "malformed JSON"}
        elif (method, path) == ("POST", "/messages"):
            with owner._lock:
                canned = owner._script.popleft() if owner._script else None
            normal = canned is None or (canned.status == 202 and canned.body is None)
            status, answer = owner.post_message(body, query) if normal else (canned.status, canned.body)
        elif method == "POST" and path in ("/inbox/refresh", "/messages/inbox/export"):
            status, answer = owner.refresh_inbox(body, path)
        elif (method, path) == ("GET", "/inbox"):
            status, answer, extra = owner.list_inbox(dict(urllib.parse.parse_qsl(query)))
        elif method == "GET" and path.startswith("/messages/"):
            found = owner.messages.get(item)
            status, answer = (200, found) if found else (404, {"message": "message not found"})
        elif path == "/webhooks" and method in ("GET", "POST"):
            status, answer = (200, list(owner.webhooks.values())) if method == "GET" else owner.post_webhook(body)
        elif method == "DELETE" and path.startswith("/webhooks/"):
            with owner._lock:
                status, answer = (204, None) if owner.webhooks.pop(item, None) else (404, {"message": "not found"})
        else:
            status, answer = 404, {"message": "not found"}
        with owner._lock:
            owner._requests.append(Recorded(method, path, None if body is ... else body, auth_ok, status, time.time()))
        if canned and canned.delay:
            time.sleep(canned.delay)
        data = b"" if answer is None else json.dumps(answer).encode()
        try:
            self.send_response(status)
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="Access to SMS Gateway"')
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out and went away
            self.close_connection = True

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
        """Keep the test output quiet."""
