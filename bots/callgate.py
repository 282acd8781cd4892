"""Missed calls through the office phone running CallGate (call-gate-app/android-app), the call companion of SMS
Gateway for Android: signed webhooks in (`/webhooks/callgate`: `call:ringing`, `call:started`, `call:ended`),
webhook registration on its local API (`http://<phone>:8084/api/v1`, Basic auth). It carries no messages: a call
event becomes an inbound record with no text, whose handling decides whether it was a missed call."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx

from bots.base import (
    AddressKind,
    Channel,
    InboundMessage,
    InvalidRequest,
    OutboundMessage,
    Route,
    SendOutcome,
    SendResult,
    WebhookAnswer,
    WebhookEvents,
    WebhookRequest,
    clean_text,
    read_json,
)
from bots.signing import PhoneAppConfig, signature_valid

log = logging.getLogger(__name__)

CODE = "callgate"
EVENTS_ROUTE = Route("/webhooks/callgate", "events")
# The app's events, in the order a call goes through them (the rank orders events stamped in the same second).
CALL_EVENTS = {"call:ringing": 0, "call:started": 1, "call:ended": 2}
ENVELOPE_ID_MAX = 64  # the app's ids are 21-character NanoIDs; anything much longer is not one of them
DEVICE_ID_MAX = 64
TIMEOUT_SECONDS = 10
DEFAULT_USER = "call"  # the app's default user name (its password is random, shown in the app)


def webhook_id(event: str) -> str:
    """The fixed id we register each event's webhook under, so that registering again replaces it."""
    return "gateway-" + event.replace(":", "-")


@dataclass(frozen=True, kw_only=True)
class CallGateConfig(PhoneAppConfig):
    """What the CallGate channel needs from the deployment's settings (timeout_seconds None: TIMEOUT_SECONDS)."""

    url: str  # http://<phone-ip>:8084 (the API lives under /api/v1)


@dataclass(frozen=True)
class CallEvent:
    """One call event as the gateway keeps it: what happened, on which phone, when it signed it, from whom."""

    event: str
    device: str
    stamped: int  # the phone's X-Timestamp (epoch seconds): the only clock the app gives
    caller: str | None  # E.164; None when withheld or not a number (Android sends each state once without it)

    def as_extra(self) -> dict[str, str]:
        """The fields kept with the stored record (its `meta`)."""
        return {"call": self.event, "device": self.device, "stamped": str(self.stamped)}


class CallGateChannel(Channel):
    """The phone's call events as an inbound-only channel."""

    code = CODE
    address_kind = AddressKind.PHONE
    routes = (EVENTS_ROUTE,)
    refusal = "missing or invalid X-Signature, or X-Timestamp outside ±5 minutes"

    def __init__(self, config: CallGateConfig) -> None:
        self.config = config

    def describe(self) -> str:
        """The phone's address, never its password."""
        return f"callgate ({self.config.url})"

    def _client(self) -> httpx.Client:
        auth = (self.config.user or DEFAULT_USER, self.config.password or "")
        base = self.config.url.rstrip("/") + "/api/v1"
        return httpx.Client(base_url=base, auth=auth, timeout=self.config.timeout_seconds or TIMEOUT_SECONDS)

    # --- inbound -----------------------------------------------------------------------------------------

    def verify(self, request: WebhookRequest) -> bool:
        """Signed like SMS Gateway for Android's webhooks (`bots.signing`)."""
        return signature_valid(
            self.config.signing_key,
            request.body,
            request.headers.get("X-Signature"),
            request.headers.get("X-Timestamp"),
        )

    def parse(self, request: WebhookRequest) -> WebhookEvents:
        """One call event, as a record with no text (the envelope id dedupes the app's retries)."""
        data = read_json(request.body, "malformed JSON: expected a CallGate event")
        envelope_id, call = self.parse_event(data, request.headers.get("X-Timestamp") or "0")
        message = InboundMessage(
            channel=self.code,
            provider_id=f"call-{envelope_id}",
            address=call.caller or "",
            text="",
            extra=call.as_extra(),
        )
        return WebhookEvents(messages=(message,), event=call.event)

    def answer(self, request: WebhookRequest, events: WebhookEvents) -> WebhookAnswer:
        """200 with the event's name."""
        return WebhookAnswer(json={"ok": True, "event": events.event})

    def parse_event(self, data: object, timestamp: str) -> tuple[str, CallEvent]:
        """The envelope id and the call event of a verified body; InvalidRequest with the reason otherwise."""
        if not isinstance(data, dict) or not isinstance(data.get("event"), str):
            raise InvalidRequest("not a CallGate event: 'event' missing")
        event = data["event"]
        if event not in CALL_EVENTS:
            raise InvalidRequest(f"unknown CallGate event (expected one of {', '.join(CALL_EVENTS)})")
        envelope_id, device = data.get("id"), data.get("deviceId")
        if not _plain_id(envelope_id, ENVELOPE_ID_MAX):
            raise InvalidRequest("'id' missing or not an event id")
        if not _plain_id(device, DEVICE_ID_MAX):
            raise InvalidRequest("'deviceId' missing or not a device id")
        payload = data.get("payload")
        if not isinstance(payload, dict):
            raise InvalidRequest("'payload' missing")
        raw = payload.get("phoneNumber")  # Gson leaves out a null number: absent and null mean the same
        if raw is not None and not isinstance(raw, str):
            raise InvalidRequest("'payload.phoneNumber' is not text")
        return envelope_id, CallEvent(event, device, int(timestamp), self._caller(raw))

    def _caller(self, raw: str | None) -> str | None:
        if not raw or not raw.strip():
            return None
        try:
            return self.config.normalise_phone(raw)
        except ValueError:  # a withheld or network-specific value ("-1", "*123#"): nobody to call back
            return None

    # --- outbound ----------------------------------------------------------------------------------------

    def send(self, message: OutboundMessage) -> SendResult:
        """CallGate carries no messages (answers go by SMS); a row routed here by mistake fails at once."""
        return SendResult(SendOutcome.FAILED, error_code="callgate:no_messages")

    # --- administration ----------------------------------------------------------------------------------

    def register_webhooks(self, public_base_url: str) -> list[str]:
        """Upsert one webhook per call event on the phone under fixed ids (idempotent); returns the ids."""
        url = f"{public_base_url}{EVENTS_ROUTE.path}"
        ids = []
        with self._client() as client:
            for event in CALL_EVENTS:
                response = client.post("/webhooks", json={"id": webhook_id(event), "url": url, "event": event})
                response.raise_for_status()
                ids.append(webhook_id(event))
        return ids

    def webhooks(self) -> list[dict]:
        """The webhooks the phone holds (`GET /webhooks`); raises httpx errors (401: wrong credentials)."""
        with self._client() as client:
            response = client.get("/webhooks")
            response.raise_for_status()
            found = response.json()
        return [hook for hook in found if isinstance(hook, dict)] if isinstance(found, list) else []


def _plain_id(value: object, limit: int) -> bool:
    """An identifier the app makes (NanoID letters, digits, `_` and `-`; the device id is hex)."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= limit
        and clean_text(value) == value
        and all(c.isascii() and (c.isalnum() or c in "_-") for c in value)
    )
