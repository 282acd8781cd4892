"""Twilio SMS: signed form webhooks in (`/webhooks/twilio/sms`, `/webhooks/twilio/status`), REST `Messages` out
through twilio's own client."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import requests
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse

from bots.base import (
    MAX_ROW_ID,
    AddressKind,
    Channel,
    InboundMessage,
    InvalidRequest,
    MediaDownload,
    MediaRef,
    OutboundMessage,
    Route,
    SendOutcome,
    SendResult,
    StatusUpdate,
    WebhookAnswer,
    WebhookEvents,
    WebhookRequest,
    clean_text,
    kind_of,
)
from bots.downloads import download

log = logging.getLogger(__name__)

ERRORS: dict[str, dict] = {
    code: info
    for code, info in json.loads((Path(__file__).parent / "errors" / "twilio.json").read_text()).items()
    if not code.startswith("_")
}
SEND_TIMEOUT_SECONDS = 10
REQUIRED_FIELDS = ("MessageSid", "AccountSid", "From")
MAX_MMS_MEDIA = 10  # Twilio's own limit of files per MMS
SID_FORMAT = re.compile(r"^[A-Za-z0-9]{2,64}$")
ERROR_CODE_FORMAT = re.compile(r"^[0-9]{1,10}$")
SMS_ROUTE = Route("/webhooks/twilio/sms", "sms")
STATUS_ROUTE = Route("/webhooks/twilio/status", "status")
# Replies go out through the outbox, never in the webhook's answer.
EMPTY_TWIML = str(MessagingResponse())


@dataclass(frozen=True, kw_only=True)
class TwilioConfig:
    """What the Twilio channel needs from the deployment's settings."""

    account_sid: str
    auth_token: str = field(repr=False)
    normalise_phone: Callable[[str], str] = field(repr=False)  # any written form → E.164; ValueError if not a phone
    from_number: str | None = None
    messaging_service_sid: str | None = None
    api_base_url: str = "https://api.twilio.com"
    public_base_url: str | None = None  # set behind a proxy: what Twilio signs, and where status reports go
    timeout_seconds: float | None = None  # per call; None: SEND_TIMEOUT_SECONDS


class _HeaderKeepingHttpClient(TwilioHttpClient):
    """twilio's HTTP client, keeping the last response's headers so `Retry-After` can be honoured."""

    last_headers: Mapping[str, str] = {}

    def request(self, *args, **kwargs):
        """twilio's request, remembering the response headers."""
        response = super().request(*args, **kwargs)
        self.last_headers = dict(response.headers or {})
        return response


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """`Retry-After` in seconds, written either as seconds or as an HTTP date."""
    value = {k.lower(): v for k, v in headers.items()}.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max((parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds(), 0.0)
    except (TypeError, ValueError):
        return None


class TwilioSmsChannel(Channel):
    """The Twilio SMS channel."""

    code = "twilio"
    address_kind = AddressKind.PHONE
    status_map = {
        "accepted": "sending",
        "queued": "sending",
        "sending": "sending",
        "sent": "sent",
        "delivered": "delivered",
        "read": "delivered",
        "undelivered": "failed",
        "failed": "failed",
        "canceled": "failed",
    }

    routes = (SMS_ROUTE, STATUS_ROUTE)
    refusal = "missing or invalid X-Twilio-Signature"

    def __init__(self, config: TwilioConfig) -> None:
        self.config = config
        self._client: Client | None = None
        self._http: _HeaderKeepingHttpClient | None = None
        self._client_pid = 0

    def describe(self) -> str:
        """Twilio with its sender, never the token."""
        sender = self.config.messaging_service_sid or self.config.from_number
        return f"twilio (from {sender})"

    # --- inbound -----------------------------------------------------------------------------------------

    def signed_url(self, request: WebhookRequest) -> str | None:
        """The URL Twilio signed: PUBLIC_BASE_URL plus path and query when set (behind a proxy), else as seen."""
        if self.config.public_base_url:
            return self.config.public_base_url + request.path_and_query if request.path_and_query else None
        return request.url

    def verify(self, request: WebhookRequest) -> bool:
        """True when `X-Twilio-Signature` matches the URL and form under our auth token."""
        signature, url = request.headers.get("X-Twilio-Signature"), self.signed_url(request)
        if not signature or not url:
            return False
        return RequestValidator(self.config.auth_token).validate(url, request.form, signature)

    def parse(self, request: WebhookRequest) -> WebhookEvents:
        """An inbound SMS, or a delivery report about the message named by the status URL's `mid`."""
        if request.route == SMS_ROUTE:
            return WebhookEvents(messages=(self.parse_inbound(request.form),))
        mid = request.args.get("mid", "")
        message_id = int(mid) if mid.isascii() and mid.isdigit() and len(mid) <= 10 else None
        if message_id is not None and message_id > MAX_ROW_ID:
            message_id = None  # no such row: ids are 32-bit
        return WebhookEvents(statuses=(self.parse_status(request.form, message_id),))

    def answer(self, request: WebhookRequest, events: WebhookEvents) -> WebhookAnswer:
        """Empty TwiML for an SMS (replies go through the outbox), 204 for a delivery report."""
        if request.route == SMS_ROUTE:
            return WebhookAnswer(body=EMPTY_TWIML, mimetype="application/xml")
        return WebhookAnswer(status=204)

    def parse_inbound(self, form: Mapping[str, str]) -> InboundMessage:
        """An inbound SMS from a verified form; raises InvalidRequest with the reason."""
        missing = [f for f in REQUIRED_FIELDS if not form.get(f)]
        if missing:
            raise InvalidRequest(f"missing field(s): {', '.join(missing)}")
        if form["AccountSid"] != self.config.account_sid:
            raise InvalidRequest("AccountSid does not match this gateway's account")
        if not SID_FORMAT.match(form["MessageSid"]):
            raise InvalidRequest("MessageSid is not a Twilio SID")
        try:
            sender = self.config.normalise_phone(form["From"])
        except ValueError:
            raise InvalidRequest("From is not a phone number") from None
        extra = {"num_media": form["NumMedia"]} if form.get("NumMedia", "0") not in ("", "0") else {}
        return InboundMessage(
            channel=self.code,
            provider_id=form["MessageSid"],
            address=sender,
            text=clean_text(form.get("Body")),
            extra=extra,
            media=self.parse_media(form),
        )

    def parse_media(self, form: Mapping[str, str]) -> tuple[MediaRef, ...]:
        """An MMS's files (`MediaUrl0`… with `MediaContentType0`…), fetched later by a job with our credentials."""
        count = form.get("NumMedia", "0")
        if not (count.isascii() and count.isdigit()):
            raise InvalidRequest("NumMedia is not a number")
        found = []
        for index in range(min(int(count), MAX_MMS_MEDIA)):
            url = form.get(f"MediaUrl{index}", "")
            if not url.startswith(("https://", "http://")) or len(url) > 500:
                raise InvalidRequest(f"MediaUrl{index} is missing or not a URL")
            declared = clean_text(form.get(f"MediaContentType{index}"))[:100]
            found.append(MediaRef(kind_of(declared), url, declared))
        return tuple(found)

    def fetch_media(self, ref: str, max_bytes: int) -> MediaDownload:
        """GET the media URL with the account's credentials, only on Twilio's own API host (a URL elsewhere never
        gets them)."""
        if not ref.startswith(self.config.api_base_url.rstrip("/") + "/"):
            return MediaDownload(error="twilio:foreign_url")
        auth = (self.config.account_sid, self.config.auth_token)
        return download(ref, max_bytes, auth=auth, timeout=SEND_TIMEOUT_SECONDS * 6, what="twilio")

    def parse_status(self, form: Mapping[str, str], message_id: int | None) -> StatusUpdate:
        """A delivery report from a verified status callback."""
        if not form.get("MessageSid") or not form.get("MessageStatus"):
            raise InvalidRequest("missing field(s): MessageSid, MessageStatus")
        if not SID_FORMAT.match(form["MessageSid"]):
            raise InvalidRequest("MessageSid is not a Twilio SID")
        if form.get("ErrorCode") and not ERROR_CODE_FORMAT.match(form["ErrorCode"]):
            raise InvalidRequest("ErrorCode is not a Twilio error code")
        if form.get("AccountSid") and form["AccountSid"] != self.config.account_sid:
            raise InvalidRequest("AccountSid does not match this gateway's account")
        status = self.map_status(form["MessageStatus"])
        if status is None:
            raise InvalidRequest("unknown MessageStatus")
        return StatusUpdate(
            channel=self.code,
            provider_id=form["MessageSid"],
            message_id=message_id,
            status=status,
            error_code=form.get("ErrorCode") or None,
        )

    def error_outcome(self, code: str | None) -> str | None:
        """What a Twilio error code means for us (`unreachable`, `failed`, `retry`), from the data file."""
        return ERRORS.get(str(code), {}).get("outcome") if code else None

    # --- outbound ----------------------------------------------------------------------------------------

    def status_callback_url(self, message_id: int) -> str | None:
        """Our status webhook on the public URL, carrying our message's id (Twilio needs a public URL)."""
        if not self.config.public_base_url:
            return None
        return f"{self.config.public_base_url}/webhooks/twilio/status?mid={message_id}"

    def _rest_client(self) -> tuple[Client, _HeaderKeepingHttpClient]:
        """One twilio Client per process, so its HTTP session (and connection) is reused from send to send."""
        if self._client is None or self._client_pid != os.getpid():
            self._http = _HeaderKeepingHttpClient()
            self._client = Client(self.config.account_sid, self.config.auth_token, http_client=self._http)
            self._client.api.base_url = self.config.api_base_url
            self._client_pid = os.getpid()
        self._http.timeout = self.config.timeout_seconds or SEND_TIMEOUT_SECONDS
        self._http.last_headers = {}
        return self._client, self._http

    def send(self, message: OutboundMessage) -> SendResult:
        """Create the message through Twilio's REST API."""
        client, http = self._rest_client()
        params = {"to": message.address, "body": message.text}
        if self.config.messaging_service_sid:
            params["messaging_service_sid"] = self.config.messaging_service_sid
        else:
            params["from_"] = self.config.from_number
        if message.status_callback_url:
            params["status_callback"] = message.status_callback_url
        try:
            created = client.messages.create(**params)
        except (TwilioRestException, TwilioServiceException) as exc:  # classic and RFC 9457 error bodies
            return self._failure(exc.code, exc.status, http.last_headers)
        except requests.RequestException as exc:  # timeouts, refused connections, resets
            return SendResult(SendOutcome.RETRY, error_code=f"network:{type(exc).__name__}")
        return SendResult(SendOutcome.SENT, provider_id=created.sid)

    def _failure(self, error_code: int | None, status: int, headers: Mapping[str, str]) -> SendResult:
        code = str(error_code) if error_code else f"http:{status}"
        outcome = self.error_outcome(code)
        if outcome == "unreachable":
            return SendResult(SendOutcome.UNREACHABLE, error_code=code)
        if outcome == "failed":
            return SendResult(SendOutcome.FAILED, error_code=code)
        if code == "20003":
            log.error("Twilio refused our credentials (20003): check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
        if outcome == "retry" or status == 429 or status >= 500:
            return SendResult(SendOutcome.RETRY, error_code=code, retry_after=_retry_after(headers))
        return SendResult(SendOutcome.FAILED, error_code=code)
