"""A fake office phone running CallGate (call-gate-app/android-app v0.2) on 127.0.0.1.

Its local API lives under `/api/v1` with Basic auth (user `call`, 401 otherwise, realm "Access to CallGate"):
`GET/POST /webhooks` (an upsert on id, 201; only `call:ringing|started|ended`; https:// or http://127.0.0.1 only,
else 400 `{"message": …}`), `DELETE /webhooks/{id}` (204), `POST /calls` (200), `DELETE /calls` (404: no call).
It emits the app's webhooks as the app does: the envelope `{id, webhookId, event, deviceId, payload}` serialised by
Gson (a null number left out: `"payload": {}`), signed like SMS Gateway for Android (hex HMAC-SHA256 of the body and
`X-Timestamp`). Like Android with READ_CALL_LOG, each phone state is emitted twice: without the number, then with it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
from collections import namedtuple
from http.server import BaseHTTPRequestHandler

from tests.fakes.local_server import LocalServer

USER, PASSWORD, SIGNING_KEY = "call", "Zq8-Lm3xT1", "cG7kP2wq"
DEVICE_ID, USER_AGENT = "0000000019c2d7bf00000195fe00ac0c", "app.callgate.android/0.2.1"
WEBHOOK_PATH = "/webhooks/callgate"
EVENTS = ("call:ringing", "call:started", "call:ended")
_NANO = string.ascii_letters + string.digits + "_-"

# One webhook POST the phone made: what it sent, how it was signed, what it got back.
Delivery = namedtuple("Delivery", "envelope body timestamp signature status")
# One request the phone's API received, and how it answered.
Recorded = namedtuple("Recorded", "method path body auth_ok answered")


def nanoid(size: int = 21) -> str:
    """A NanoID, as the app gives envelopes and webhooks."""
    return "".join(secrets.choice(_NANO) for _ in range(size))


class FakeCallGate(LocalServer):
    """The phone: its API server, its webhooks, and its call-event emitter."""

    thread_name = "fake-callgate"

    def __init__(self, password: str = PASSWORD, signing_key: str = SIGNING_KEY) -> None:
        self.password, self.signing_key = password, signing_key
        self.webhooks: dict[str, dict] = {}
        self.deliveries: list[Delivery] = []
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """This fake's routes."""
        return _Handler

    def env(self) -> dict[str, str]:
        """The gateway settings that point at this phone."""
        return {
            "CALLGATE_URL": self.url,
            "CALLGATE_USER": USER,
            "CALLGATE_PASSWORD": self.password,
            "CALLGATE_SIGNING_KEY": self.signing_key,
        }

    # --- webhooks out --------------------------------------------------------------------------------------

    def envelope(self, event: str, number: str | None) -> dict:
        """A fresh envelope (new NanoID), in the order Gson writes WebHookEventDTO's fields; no null number."""
        payload = {} if number is None else {"phoneNumber": number}
        hook = f"gateway-{event.replace(':', '-')}"
        return {"id": nanoid(), "webhookId": hook, "event": event, "deviceId": DEVICE_ID, "payload": payload}

    def deliver(self, target, envelope: dict | bytes, *, at: float | None = None, key: str | None = None) -> Delivery:
        """POST an envelope (or raw bytes) to a URL or a Flask test client, signed at `at` (epoch seconds, default
        now) with `key` (default the phone's)."""
        body = envelope if isinstance(envelope, bytes) else json.dumps(envelope, separators=(",", ":")).encode()
        timestamp = str(int(time.time() if at is None else at))
        signature = hmac.new((key or self.signing_key).encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()
        headers = {"X-Signature": signature, "X-Timestamp": timestamp, "User-Agent": USER_AGENT}
        status = _post(target, body, {**headers, "Content-Type": "application/json; charset=UTF-8"})
        delivery = Delivery(envelope if isinstance(envelope, dict) else {}, body, timestamp, signature, status)
        with self._lock:
            self.deliveries.append(delivery)
        return delivery

    def state(self, target, event: str, number: str | None, at: float | None = None) -> list[Delivery]:
        """One phone state as Android broadcasts it to an app with READ_CALL_LOG: without the number, then with it."""
        return [
            self.deliver(target, self.envelope(event, None), at=at),
            self.deliver(target, self.envelope(event, number), at=at),
        ]

    def missed_call(self, target, number: str, at: float | None = None) -> list[Delivery]:
        """Someone rings and hangs up before anyone answers (a "bip")."""
        start = time.time() if at is None else at
        return self.state(target, "call:ringing", number, start) + self.state(target, "call:ended", number, start + 4)

    def answered_call(self, target, number: str, at: float | None = None) -> list[Delivery]:
        """Someone rings, the office answers, they talk, they hang up."""
        start = time.time() if at is None else at
        rings = self.state(target, "call:ringing", number, start)
        return (
            rings
            + self.state(target, "call:started", number, start + 5)
            + self.state(target, "call:ended", number, start + 60)
        )

    def _auth_ok(self, header: str | None) -> bool:
        expected = "Basic " + base64.b64encode(f"{USER}:{self.password}".encode()).decode()
        return hmac.compare_digest(header or "", expected)

    def post_webhook(self, body) -> tuple[int, dict]:
        """`POST /webhooks`: an upsert on id; the app's checks (URL scheme, known event)."""
        if not isinstance(body, dict) or not isinstance(body.get("url"), str):
            return 400, {"message": "url is required"}
        url = body["url"]
        if not url.startswith(("https://", "http://127.0.0.1")):
            return 400, {"message": "url must start with https:// or http://127.0.0.1"}
        if body.get("event") not in EVENTS:
            return 400, {"message": "Unsupported event"}
        hook = {"id": body.get("id") or nanoid(), "url": url, "event": body["event"]}
        with self._lock:
            self.webhooks[hook["id"]] = hook
        return 201, hook


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
    """The local server's routes (all under /api/v1, all behind Basic auth)."""

    owner: FakeCallGate
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the names http.server dispatches to
        """`/api/v1/webhooks`."""
        self._serve()

    do_POST = do_DELETE = do_GET  # noqa: N815 - `/webhooks`, `/calls`; `/webhooks/{id}`, `/calls`

    def _serve(self) -> None:
        owner, method, path = self.owner, self.command, self.path.partition("?")[0]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = ...
        auth_ok = owner._auth_ok(self.headers.get("Authorization"))
        route = path.removeprefix("/api/v1") if path.startswith("/api/v1/") else None
        if route is None:
            status, answer = 404, {"message": "not found"}
        elif not auth_ok:
            status, answer = 401, {"message": "Unauthorized"}
        elif body is ...:
            status, answer = 400, {"message": "malformed JSON"}
        elif (method, route) == ("GET", "/webhooks"):
            status, answer = 200, list(owner.webhooks.values())
        elif (method, route) == ("POST", "/webhooks"):
            status, answer = owner.post_webhook(body)
        elif method == "DELETE" and route.startswith("/webhooks/"):
            with owner._lock:
                owner.webhooks.pop(route.rpartition("/")[2], None)
            status, answer = 204, None
        elif (method, route) == ("POST", "/calls"):
            status, answer = 200, body
        elif (method, route) == ("DELETE", "/calls"):
            status, answer = 404, {"message": "No ringing or active call"}
        else:
            status, answer = 404, {"message": "not found"}
        with owner._lock:
            owner.requests.append(Recorded(method, path, None if body is ... else body, auth_ok, status))
        data = b"" if answer is None else json.dumps(answer).encode()
        self.send_response(status)
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="Access to CallGate"')
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
        """Keep the test output quiet."""
