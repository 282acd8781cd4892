"""A fake Twilio REST API: a real HTTP server on 127.0.0.1 that twilio's own `Client` talks to.

It serves `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (form-encoded, HTTP Basic auth), records every
request, and answers from a script: a queue of canned responses, then a default 201 with a fresh `SM…` sid.
Wrong credentials get Twilio's 401 (code 20003) without using up the script. `GET …/Accounts/{AccountSid}.json`
answers the account resource with `account_status` (what `gateway status` checks).

    def test_something(fake_twilio):
        fake_twilio.script(twilio_error(21610), accepted())
        ...
        assert fake_twilio.requests[0].form["Body"] == "..."
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

from tests.fakes.local_server import LocalServer

API_VERSION = "2010-04-01"
FROM_NUMBER = "+15005550006"  # Twilio's magic test number: a valid sender
PUBLIC_BASE_URL = "https://gateway.example.org"  # used only to sign and build callback URLs; nothing connects to it
_MESSAGES_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages\.json$")
_ACCOUNT_PATH = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/.]+)\.json$")

# What Twilio says for the codes the tests use (the texts of its error pages, shortened).
ERROR_MESSAGES = {
    20003: "Authenticate",
    20404: "The requested resource was not found",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    21211: "The 'To' number is not a valid phone number.",
    21610: "Attempt to send to unsubscribed recipient",
    21612: "The 'To' phone number is not currently reachable via SMS",
}


def new_sid(prefix: str = "SM") -> str:
    """A fresh Twilio-style sid: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


@dataclass(frozen=True)
class Canned:
    """One scripted answer. `body` None means "a message resource built from the request" (with a fresh sid)."""

    status: int = 201
    body: Mapping | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (longer than the client's timeout: a timeout)
    message_status: str = "queued"


@dataclass(frozen=True)
class Recorded:
    """One request the fake received."""

    method: str
    path: str
    form: dict[str, str]
    auth_ok: bool
    answered: int  # the HTTP status it was answered with
    sid: str | None  # the sid handed out, for accepted messages
    received_at: float = field(default_factory=time.time)  # epoch seconds


def accepted(message_status: str = "queued", delay: float = 0.0) -> Canned:
    """A 201 with a new message resource (the default answer)."""
    return Canned(201, None, {}, delay, message_status)


def twilio_error(code: int, status: int = 400, headers: Mapping[str, str] | None = None, **kw) -> Canned:
    """An error the way Twilio sends it: `{"code", "message", "more_info", "status"}` with that HTTP status."""
    body = {
        "code": code,
        "message": ERROR_MESSAGES.get(code, f"Error {code}"),
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return Canned(status, body, dict(headers or {}), **kw)


def problem_details(code: int, status: int = 400) -> Canned:
    """The same error in the newer RFC 9457 shape (`type`, `title`, `status`, `code`) some Twilio APIs send."""
    body = {
        "type": f"https://www.twilio.com/docs/errors/{code}",
        "title": ERROR_MESSAGES.get(code, f"Error {code}"),
        "status": status,
        "code": code,
    }
    return Canned(status, body, {})


def too_many_requests(retry_after: int | str = 7) -> Canned:
    """A 429 (code 20429) asking the client to wait `retry_after` seconds."""
    return twilio_error(20429, 429, {"Retry-After": str(retry_after)})


def server_error() -> Canned:
    """A 500 (code 20500)."""
    return twilio_error(20500, 500)


def slow(seconds: float) -> Canned:
    """A 201 that comes only after `seconds`: with a shorter client timeout, a timeout."""
    return accepted(delay=seconds)


def message_resource(account_sid: str, form: Mapping[str, str], sid: str, status: str) -> dict:
    """The JSON of a message resource, as Twilio answers a create."""
    now = formatdate(usegmt=True)
    return {
        "sid": sid,
        "account_sid": account_sid,
        "messaging_service_sid": form.get("MessagingServiceSid"),
        "to": form.get("To"),
        "from": form.get("From"),
        "body": form.get("Body"),
        "status": status,
        "direction": "outbound-api",
        "num_segments": "1",
        "num_media": "0",
        "price": None,
        "price_unit": "USD",
        "error_code": None,
        "error_message": None,
        "api_version": API_VERSION,
        "date_created": now,
        "date_updated": now,
        "date_sent": None,
        "uri": f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}.json",
        "subresource_uris": {"media": f"/{API_VERSION}/Accounts/{account_sid}/Messages/{sid}/Media.json"},
    }


class FakeTwilio(LocalServer):
    """The fake API: start it, script it, read what it received."""

    thread_name = "fake-twilio"

    def __init__(self, account_sid: str | None = None, auth_token: str | None = None) -> None:
        self.account_sid = account_sid or new_sid("AC")
        self.auth_token = auth_token or secrets.token_hex(16)
        self.account_status = "active"  # or "suspended", "closed": what the account fetch answers
        self._lock = threading.Lock()
        self._script: deque[tuple[str | None, Canned]] = deque()
        self._requests: list[Recorded] = []
        self.media: dict[str, tuple[str, bytes]] = {}  # media path → (content type, bytes), served with our auth
        self.media_failures: deque[int] = deque()  # statuses the next media GETs answer instead (503…)

    # --- lifecycle -----------------------------------------------------------------------------------------

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """This fake's routes."""
        return _Handler

    def env(self) -> dict[str, str]:
        """The gateway settings that point the Twilio channel at this fake."""
        return {
            "TWILIO_ACCOUNT_SID": self.account_sid,
            "TWILIO_AUTH_TOKEN": self.auth_token,
            "TWILIO_FROM_NUMBER": FROM_NUMBER,
            "TWILIO_API_BASE_URL": self.url,
            "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        }

    def add_media(self, content: bytes, content_type: str) -> str:
        """An MMS file as Twilio keeps it; its URL, as the inbound webhook's `MediaUrl0` carries it."""
        path = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{new_sid('MM')}/Media/{new_sid('ME')}"
        with self._lock:
            self.media[path] = (content_type, content)
        return self.url + path

    # --- script and record ---------------------------------------------------------------------------------

    def script(self, *responses: Canned, to: str | None = None) -> None:
        """Queue canned answers for the next requests (only those to `to`, when given); then the default 201."""
        with self._lock:
            self._script.extend((to, canned) for canned in responses)

    @property
    def requests(self) -> list[Recorded]:
        """Every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    @property
    def sids(self) -> list[str]:
        """The sids of the messages accepted so far."""
        return [r.sid for r in self.requests if r.sid]

    def _next(self, form: Mapping[str, str]) -> Canned:
        with self._lock:
            for entry in self._script:
                if entry[0] in (None, form.get("To")):
                    self._script.remove(entry)
                    return entry[1]
        return accepted()

    def _record(self, entry: Recorded) -> None:
        with self._lock:
            self._requests.append(entry)

    def _auth_ok(self, header: str | None) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return header == f"Basic {expected}"


class _Handler(BaseHTTPRequestHandler):
    """Serves the Messages resource of the fake's account."""

    owner: FakeTwilio
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
        """Create a message, answering from the script."""
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode(), keep_blank_values=True).items()}
        owner = self.owner
        match = _MESSAGES_PATH.match(self.path)
        auth_ok = owner._auth_ok(self.headers.get("Authorization"))
        if not auth_ok or (match and match["account"] != owner.account_sid):
            canned, auth_ok = twilio_error(20003, 401), False
        elif not match:
            canned = twilio_error(20404, 404)
        else:
            canned = owner._next(form)
        sid = None
        body = canned.body
        if body is None:
            sid = new_sid()
            body = message_resource(owner.account_sid, form, sid, canned.message_status)
        owner._record(Recorded("POST", self.path, form, auth_ok, canned.status, sid))
        if canned.delay:
            time.sleep(canned.delay)
        self._answer(canned.status, body, canned.headers)

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        """Fetch the account (the credentials check), or an MMS file (with the account's credentials only)."""
        owner = self.owner
        if self.path in owner.media:
            self._media()
            return
        match = _ACCOUNT_PATH.match(self.path)
        auth_ok = owner._auth_ok(self.headers.get("Authorization"))
        if not auth_ok or (match and match["account"] != owner.account_sid):
            canned, auth_ok = twilio_error(20003, 401), False
        elif not match:
            canned = twilio_error(20404, 404)
        else:
            body = {"sid": owner.account_sid, "status": owner.account_status, "friendly_name": "Test account"}
            canned = Canned(200, body, {})
        owner._record(Recorded("GET", self.path, {}, auth_ok, canned.status, None))
        self._answer(canned.status, canned.body, canned.headers)

    def _media(self) -> None:
        owner = self.owner
        auth_ok = owner._auth_ok(self.headers.get("Authorization"))
        with owner._lock:
            failure = owner.media_failures.popleft() if auth_ok and owner.media_failures else None
        status = 401 if not auth_ok else failure or 200
        owner._record(Recorded("GET", self.path, {}, auth_ok, status, None))
        content_type, content = owner.media[self.path] if status == 200 else ("text/plain", b"")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def _answer(self, status: int, body: Mapping, headers: Mapping[str, str]) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out and went away
            self.close_connection = True

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
        """Keep the test output quiet."""


@contextmanager
def closed_port() -> Iterator[str]:
    """A URL on 127.0.0.1 where nothing listens (a bound, non-listening socket: connections are refused)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()
