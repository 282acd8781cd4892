"""SMS through an Android phone with a local SIM running "SMS Gateway for Android" (capcom6) in local-server
mode: signed webhooks in (`/webhooks/android`), `POST /messages` out (Basic auth), one recipient per request, our id
as its id."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from bots import android_mms
from bots.base import (
    MAX_ROW_ID,
    AddressKind,
    Channel,
    InboundMessage,
    InvalidRequest,
    MediaDownload,
    OutboundMessage,
    Route,
    SendOutcome,
    SendResult,
    StatusUpdate,
    WebhookAnswer,
    WebhookEvents,
    WebhookRequest,
    clean_text,
    read_json,
)
from bots.signing import PhoneAppConfig, signature_valid

log = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 15
WEBHOOK_EVENTS = (
    "sms:received",
    "sms:sent",
    "sms:delivered",
    "sms:failed",
    "sms:data-received",
    "mms:received",
    "mms:downloaded",
)
# MMS events carry their files inline (base64): the route takes more than the web's default cap. Carriers cap an
# MMS at about 1 MB; 8 MiB leaves room for base64 and a generous phone.
EVENTS_ROUTE = Route("/webhooks/android", "events", max_body_bytes=8 * 1024 * 1024)
# The phone's events about our messages, mapped to our statuses (`sms:delivered` comes once per part).
STATUS_EVENTS = {"sms:sent": "sent", "sms:delivered": "delivered", "sms:failed": "failed", "sms:cancelled": "failed"}
ID_PREFIX = "gw"
# Android's SmsManager results that say "not now" rather than "never" (the error code keeps 30 characters).
TRANSIENT_REASONS = (
    "RESULT_ERROR_NO_SERVICE",
    "RESULT_ERROR_RADIO_OFF",
    "RESULT_ERROR_LIMIT_EXCEEDED",
    "RESULT_ERROR_GENERIC_FAILURE",
    "RESULT_NETWORK_ERROR",
    "RESULT_MODEM_ERROR",
)


class InvalidEvent(InvalidRequest):
    """A signed event that cannot be used; the message says why (for a 400)."""


@dataclass(frozen=True, kw_only=True)
class AndroidConfig(PhoneAppConfig):
    """What the Android channel needs from the deployment's settings (timeout_seconds None: SEND_TIMEOUT_SECONDS)."""

    gateway_url: str
    segments_per_minute: int = 20
    urgent_headroom: int = 5


@dataclass(frozen=True)
class AndroidEvent:
    """One webhook event from the phone: an inbound SMS, a status of one of ours, or something we ignore."""

    event: str
    inbound: InboundMessage | None = None
    status: StatusUpdate | None = None


def our_id(message_id: int, resend: int = 0) -> str:
    """The request id we give the phone for a message. It stays the same across our own retries (timeouts), so the
    phone's 409 stops a double send; only a resend after the phone itself failed gets a new one (`gw42r1`)."""
    return f"{ID_PREFIX}{message_id}" + (f"r{resend}" if resend else "")


_OUR_ID = re.compile(rf"^{ID_PREFIX}(\d{{1,18}})(?:r\d{{1,6}})?$")


PROVIDER_ID_MAX = 120  # messages.provider_id's length


def received_instant(received_at: str) -> str:
    """The phone's `receivedAt` as one spelling of its instant, UTC with milliseconds and `Z`: the app's own
    spelling in Mali (UTC), so identities stored before this reading are unchanged. Text that is no ISO time is
    kept as it is."""
    try:
        moment = datetime.fromisoformat(received_at.strip())
    except ValueError:
        return received_at
    if moment.tzinfo is None:
        return received_at
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def message_id_from(phone_id: str) -> int | None:
    """Our message id back from the phone's `messageId`, if the message is ours."""
    found = _OUR_ID.match(phone_id)
    return int(found.group(1)) if found and int(found.group(1)) <= MAX_ROW_ID else None


class AndroidSmsChannel(Channel):
    """The local-SIM phone as an SMS channel."""

    code = "android"
    address_kind = AddressKind.PHONE
    status_map = STATUS_EVENTS
    routes = (EVENTS_ROUTE,)
    refusal = "missing or invalid X-Signature, or X-Timestamp outside ±5 minutes"

    def __init__(self, config: AndroidConfig) -> None:
        self.config = config
        self.segments_per_minute = config.segments_per_minute
        self.urgent_headroom = config.urgent_headroom

    def describe(self) -> str:
        """The phone's address, never its password."""
        return f"android ({self.config.gateway_url})"

    @property
    def send_timeout(self) -> float:
        """The longest a call to the phone may take (the pacing dates an unanswered grant this far ahead)."""
        return self.config.timeout_seconds or SEND_TIMEOUT_SECONDS

    def _client(self) -> httpx.Client:
        auth = (self.config.user or "sms", self.config.password or "")
        return httpx.Client(base_url=self.config.gateway_url, auth=auth, timeout=self.send_timeout)

    # --- inbound -----------------------------------------------------------------------------------------

    def verify(self, request: WebhookRequest) -> bool:
        """Signed by the phone: see `signature_valid`."""
        return self.signature_valid(
            request.body, request.headers.get("X-Signature"), request.headers.get("X-Timestamp")
        )

    def parse(self, request: WebhookRequest) -> WebhookEvents:
        """One verified event: an inbound SMS, a status of one of ours, or something acknowledged and ignored."""
        event = self.parse_event(read_json(request.body, "malformed JSON: expected an SMS Gateway event"))
        return WebhookEvents(
            messages=(event.inbound,) if event.inbound else (),
            statuses=(event.status,) if event.status else (),
            event=event.event,
        )

    def answer(self, request: WebhookRequest, events: WebhookEvents) -> WebhookAnswer:
        """200 with the event's name."""
        return WebhookAnswer(json={"ok": True, "event": events.event})

    def signature_valid(
        self, raw_body: bytes, signature: str | None, timestamp: str | None, now: float | None = None
    ) -> bool:
        """`X-Signature` is hex HMAC-SHA256 of the raw body followed by `X-Timestamp`, within ±5 minutes."""
        return signature_valid(self.config.signing_key, raw_body, signature, timestamp, now)

    def parse_event(self, data: object) -> AndroidEvent:
        """Read a verified event; raises InvalidEvent with the reason."""
        if not isinstance(data, dict) or not isinstance(data.get("event"), str):
            raise InvalidEvent("not an SMS Gateway event: 'event' missing")
        payload = data.get("payload")
        if not isinstance(payload, dict):
            raise InvalidEvent("'payload' missing")
        event = data["event"]
        if event == "sms:received":
            return AndroidEvent(event, inbound=self._inbound(payload))
        if event in STATUS_EVENTS:
            phone_id = str(payload.get("messageId") or "")
            if not phone_id:
                raise InvalidEvent("'payload.messageId' missing")
            if clean_text(phone_id) != phone_id or len(phone_id) > PROVIDER_ID_MAX:
                # Never an id the phone got from us (a fuzzer's NUL made PostgreSQL refuse the lookup: a 503).
                raise InvalidEvent("'payload.messageId' is not a message id")
            return AndroidEvent(
                event,
                status=StatusUpdate(
                    channel=self.code,
                    provider_id=phone_id,
                    message_id=message_id_from(phone_id),
                    status=STATUS_EVENTS[event],
                    error_code=("android:" + clean_text(payload.get("reason"))[:30]) if payload.get("reason") else None,
                ),
            )
        if event in KEPT_EVENTS:
            return AndroidEvent(event, inbound=KEPT_EVENTS[event](self._inbound, payload))
        return AndroidEvent(event)  # system:ping, app:started…: acknowledged and ignored

    def _inbound(self, payload: Mapping, event: str = "sms:received", prefix: str = "rx", **fields) -> InboundMessage:
        sender_raw = payload.get("sender") or payload.get("phoneNumber")
        message_id, received_at = payload.get("messageId"), payload.get("receivedAt")
        if not sender_raw or not message_id or not received_at:
            raise InvalidEvent(f"{event} needs messageId, sender and receivedAt")
        try:
            sender = self.config.normalise_phone(str(sender_raw))
        except ValueError:
            raise InvalidEvent("sender is not a phone number") from None
        # The app re-sends the same SMS with new envelope ids: the payload's own identity is what dedupes. The time
        # is read as an instant, so the phone's inbox list (`gateway android recover`) finds the same identity even
        # if its offset is written differently from the webhook's.
        instant = received_instant(str(received_at))
        identity = hashlib.sha256(clean_text(f"{message_id}|{sender}|{instant}").encode()).hexdigest()[:40]
        fields.setdefault("text", clean_text(payload.get("message")))
        return InboundMessage(channel=self.code, provider_id=f"{prefix}-{identity}", address=sender, **fields)

    def fetch_media(self, ref: str, max_bytes: int) -> MediaDownload:
        """The phone sends files inline with the event: there is nothing to fetch."""
        return MediaDownload(error="android:not_inline")

    def error_outcome(self, code: str | None) -> str | None:
        """The phone's reasons for a failed send: a lost signal or the OS limit is worth another try."""
        if code and code.removeprefix("android:").startswith(TRANSIENT_REASONS):
            return "retry"
        return None

    # --- outbound ----------------------------------------------------------------------------------------

    def send(self, message: OutboundMessage) -> SendResult:
        """`POST /messages` for one recipient, with a delivery report; 409 on our id means already accepted."""
        request_id = our_id(message.message_id, message.resend)
        body = {
            "id": request_id,
            "textMessage": {"text": message.text},
            "phoneNumbers": [message.address],
            "withDeliveryReport": True,
        }
        try:
            with self._client() as client:
                response = client.post("/messages", json=body)
                if response.status_code == 409:
                    return self._already_accepted(client, request_id, message.address)
        except httpx.HTTPError as exc:  # the phone is off, asleep or out of the network: wait for it
            return SendResult(SendOutcome.RETRY, error_code=f"network:{type(exc).__name__}", provider_down=True)
        return self._result(response, request_id)

    def _result(self, response: httpx.Response, request_id: str) -> SendResult:
        status = response.status_code
        if status in (200, 201, 202):
            return SendResult(SendOutcome.SENT, provider_id=request_id)
        if status == 401:
            log.error("the Android phone refused our credentials: check ANDROID_GATEWAY_USER and _PASSWORD")
            return SendResult(SendOutcome.RETRY, error_code="android:401", provider_down=True)
        if status == 429 or status >= 500:
            retry_after = response.headers.get("Retry-After")
            wait = float(retry_after) if retry_after and retry_after.isdigit() else None
            return SendResult(SendOutcome.RETRY, error_code=f"android:{status}", retry_after=wait)
        return SendResult(SendOutcome.FAILED, error_code=f"android:{status}")

    def _already_accepted(self, client: httpx.Client, request_id: str, address: str) -> SendResult:
        """A 409 is success only if the phone's message with our id is really this one (same recipient)."""
        try:
            found = client.get(f"/messages/{request_id}")
            recipients = [r.get("phoneNumber") for r in found.json().get("recipients", [])]
        except (httpx.HTTPError, json.JSONDecodeError, AttributeError):
            return SendResult(SendOutcome.SENT, provider_id=request_id)  # accepted before; details unknown
        if recipients and address not in recipients:
            return SendResult(SendOutcome.FAILED, error_code="android:id_conflict")
        return SendResult(SendOutcome.SENT, provider_id=request_id)

    # --- administration ----------------------------------------------------------------------------------

    def register_webhooks(self, public_base_url: str) -> list[str]:
        """Upsert our webhooks on the phone under fixed ids (idempotent); returns the ids."""
        url = f"{public_base_url}/webhooks/android"
        ids = []
        with self._client() as client:
            for event in WEBHOOK_EVENTS:
                webhook_id = "gateway-" + event.replace(":", "-")
                response = client.post("/webhooks", json={"id": webhook_id, "url": url, "event": event})
                response.raise_for_status()
                ids.append(webhook_id)
        return ids

    def credentials_accepted(self) -> bool:
        """True unless the phone answers 401 to an authenticated read (`GET /webhooks`)."""
        with self._client() as client:
            return client.get("/webhooks").status_code != 401

    def health(self) -> dict:
        """The phone's own health report (`GET /health`, no auth)."""
        with self._client() as client:
            response = client.get("/health")
            response.raise_for_status()
            return response.json()


# Events from people, besides `sms:received`, and how each is read (data: event name → reader).
KEPT_EVENTS = {
    "mms:received": android_mms.mms_notice,
    "mms:downloaded": android_mms.mms_downloaded,
    "sms:data-received": android_mms.data_sms,
}
