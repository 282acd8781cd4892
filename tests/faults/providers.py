"""Fake providers that fail on purpose, signed webhooks as the providers send them, and delivery counting."""

from __future__ import annotations

import io
import json
import random
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests
from twilio.request_validator import RequestValidator

from tests.fakes import telegram_api, twilio_api
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FROM_NUMBER, PUBLIC_BASE_URL, FakeTwilio, new_sid

SMS_PATH = "/webhooks/twilio/sms"
TELEGRAM_PATH = "/webhooks/telegram"


@dataclass
class FaultPlan:
    """What share of provider calls fail, and how; drawn from a seeded generator, one draw per call."""

    server_errors: float = 0.0  # 5xx
    timeouts: float = 0.0  # no answer within the client's timeout (then an error: no message created)
    burst_chance: float = 0.0  # chance that a call starts a burst of 429s
    burst_length: int = 15  # calls answered 429 in a row once a burst starts
    retry_after: int = 1  # the 429s' Retry-After, in seconds
    hang_seconds: float = 2.0  # how long a timed-out call hangs (longer than PROVIDER_TIMEOUT_SECONDS)
    max_failures: int = 5  # per recipient: a provider failing 30 % of calls does not fail one message forever
    seed: int = 20260
    injected: Counter = field(default_factory=Counter)  # what was injected, by kind

    def __post_init__(self) -> None:
        """The generator, its lock and the per-recipient failure counts."""
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()
        self._burst_left = 0
        self._failed: Counter = Counter()

    def draw(self, recipient: str) -> str:
        """The fate of one call to `recipient`: ok, 5xx, timeout or 429."""
        with self._lock:
            if self._failed[recipient] >= self.max_failures:
                fate = "ok"
            elif self._burst_left:
                self._burst_left -= 1
                fate = "429"
            elif self._random.random() < self.burst_chance:
                self._burst_left = self.burst_length - 1
                fate = "429"
            else:
                r = self._random.random()
                fate = (
                    "5xx" if r < self.server_errors else "timeout" if r < self.server_errors + self.timeouts else "ok"
                )
            self._failed[recipient] += fate != "ok"
            self.injected[fate] += 1
            return fate


class FlakyTwilio(FakeTwilio):
    """The fake Twilio REST API, failing calls by a FaultPlan; numbers in `unsubscribed` always get 21610."""

    def __init__(self, plan: FaultPlan | None = None) -> None:
        """A fake Twilio with this fault plan and nobody unsubscribed yet."""
        super().__init__()
        self.plan = plan or FaultPlan()
        self.unsubscribed: set[str] = set()

    def _next(self, form: Mapping[str, str]) -> twilio_api.Canned:
        """The answer to one Messages create call."""
        if form.get("To") in self.unsubscribed:
            return twilio_api.twilio_error(21610)
        fate = self.plan.draw(form.get("To", ""))
        if fate == "5xx":
            return twilio_api.server_error()
        if fate == "timeout":
            return twilio_api.twilio_error(20500, 503, delay=self.plan.hang_seconds)
        if fate == "429":
            return twilio_api.too_many_requests(self.plan.retry_after)
        return twilio_api.accepted()


class _PeekingHandler(telegram_api._Handler):
    """The fake Bot API's handler, letting the owner see the call's chat before it picks an answer."""

    def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
        """Read the body, note its chat_id for this thread, and hand an untouched copy to the fake's handler."""
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.rfile = io.BytesIO(raw)
        text = raw.decode(errors="replace")
        if self.headers.get("Content-Type", "").startswith("application/json"):
            chat = json.loads(text or "{}").get("chat_id") if text.startswith("{") else None
        else:
            chat = (parse_qs(text).get("chat_id") or [None])[0]
        self.owner.current.chat = str(chat or "")
        super().do_POST()


class FlakyTelegram(FakeTelegram):
    """The fake Bot API, failing sendMessage by a FaultPlan; chats in `blocked_chats` always get 403."""

    def __init__(self, plan: FaultPlan | None = None) -> None:
        """A fake Bot API with this fault plan and no bot blocked yet."""
        super().__init__()
        self.plan = plan or FaultPlan()
        self.blocked_chats: set[int] = set()
        self.current = threading.local()

    def start(self) -> FlakyTelegram:
        """Listen on a free port of 127.0.0.1, with the peeking handler."""
        handler = type("Handler", (_PeekingHandler,), {"owner": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="flaky-telegram", daemon=True).start()
        return self

    def _next(self, method: str) -> telegram_api.Canned:
        """The answer to one Bot API call (sendMessage only is failed on purpose)."""
        chat = getattr(self.current, "chat", "")
        if method != "sendMessage" or (chat.lstrip("-").isdigit() and int(chat) in self.blocked_chats):
            return super()._next(method)
        fate = self.plan.draw(chat)
        if fate == "5xx":
            return telegram_api.telegram_error(502, "Bad Gateway")
        if fate == "timeout":
            return telegram_api.Canned(
                502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}, delay=self.plan.hang_seconds
            )
        if fate == "429":
            return telegram_api.too_many_requests(self.plan.retry_after)
        return telegram_api.Canned()

    def result(self, method: str, params: Mapping[str, str]) -> tuple[int, dict]:
        """The normal answer, except 403 for a blocked chat."""
        if method == "sendMessage" and int(params.get("chat_id") or 0) in self.blocked_chats:
            return 403, telegram_api.blocked().body
        return super().result(method, params)


def message_id_of(callback_url: str | None) -> int | None:
    """Our message id from the StatusCallback URL the gateway gave Twilio (`…/status?mid=<id>`)."""
    if not callback_url:
        return None
    values = parse_qs(urlsplit(callback_url).query).get("mid")
    return int(values[0]) if values and values[0].isdigit() else None


def twilio_deliveries(fake: FakeTwilio, ids: Iterable[int] | None = None) -> Counter:
    """How many times Twilio accepted each of our messages (by id), counting only `ids` when given."""
    wanted = set(ids) if ids is not None else None
    counts: Counter = Counter()
    for request in fake.requests:
        mid = message_id_of(request.form.get("StatusCallback"))
        if request.answered == 201 and mid is not None and (wanted is None or mid in wanted):
            counts[mid] += 1
    return counts


def twilio_attempts(fake: FakeTwilio, to: str) -> list[int]:
    """The statuses the fake answered the calls for one recipient with."""
    return [r.answered for r in fake.requests if r.form.get("To") == to]


def telegram_deliveries(fake: FakeTelegram, texts: Mapping[str, int]) -> Counter:
    """How many times Telegram accepted each of our messages, recognised by its (unique) text → id."""
    counts: Counter = Counter()
    for call in fake.calls_to("sendMessage"):
        mid = texts.get(call.params.get("text", ""))
        if call.answered == 200 and mid is not None:
            counts[mid] += 1
    return counts


def inbound_form(account_sid: str, phone: str, body: str, sid: str | None = None) -> dict[str, str]:
    """The form of Twilio's inbound-SMS webhook."""
    sid = sid or new_sid()
    return {
        "ToCountry": "US",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "FromCountry": "ML",
        "To": FROM_NUMBER,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": phone,
        "ApiVersion": "2010-04-01",
    }


def twilio_signature(token: str, path: str, form: Mapping[str, str]) -> str:
    """X-Twilio-Signature over the public URL, computed by twilio's own library."""
    return RequestValidator(token).compute_signature(PUBLIC_BASE_URL + path, dict(form))


def http_session() -> requests.Session:
    """A session that never goes through a proxy."""
    session = requests.Session()
    session.trust_env = False
    return session


def post_sms(session: requests.Session, base_url: str, token: str, form: Mapping[str, str], timeout: float = 15):
    """POST a signed inbound SMS to the gateway the way Twilio does (15 s is Twilio's webhook timeout)."""
    headers = {"X-Twilio-Signature": twilio_signature(token, SMS_PATH, form)}
    return session.post(base_url + SMS_PATH, data=form, headers=headers, timeout=timeout)


def telegram_text_update(update_id: int, user_id: int, text: str) -> dict:
    """A private text message update, as Telegram pushes it."""
    return telegram_api.telegram_update("text", update_id=update_id, user_id=user_id, text=text)


def post_update(session: requests.Session, base_url: str, update: dict, timeout: float = 15):
    """POST a Telegram update with the webhook's secret token."""
    headers = {telegram_api.SECRET_HEADER: telegram_api.SECRET}
    return session.post(base_url + TELEGRAM_PATH, json=update, headers=headers, timeout=timeout)


__all__ = ["FROM_NUMBER", "PUBLIC_BASE_URL"]
