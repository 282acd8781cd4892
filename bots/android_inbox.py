"""Asking the Android phone to re-send the SMS it received in a time window (SMS Gateway for Android's inbox
refresh), for the gap when the gateway was unreachable longer than the phone's own webhook retries.

The app answers `POST /inbox/refresh` (v1.59+; the older `POST /messages/inbox/export` before that) with 202 and
emits its `sms:received` webhooks again for the window; the gateway's dedupe on the payload's identity makes the
replays harmless. Hand-written rather than through the `android-sms-gateway` client: that client's
`refresh_inbox` sends no `triggerWebhooks`, and app v1.68 then refreshes its own records without one webhook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from bots.android import AndroidConfig

REFRESH_PATH = "/inbox/refresh"
EXPORT_PATH = "/messages/inbox/export"  # before v1.59: same body, webhooks on by default
# The phone selects and queues the window's messages before it answers: a few seconds for a day's SMS.
REFRESH_TIMEOUT_SECONDS = 20.0
MESSAGE_TYPES = ("SMS", "MMS")  # the app refuses the others (DATA_SMS, MMS_DOWNLOADED) in a refresh


class RefreshFailed(Exception):
    """The phone could not be asked, or refused; the message is one line for an operator."""


@dataclass(frozen=True)
class RefreshRequest:
    """The window to replay, aware datetimes; `until` after `since`."""

    since: datetime
    until: datetime

    def body(self) -> dict:
        """The app's InboxRefreshRequest, with webhooks on (`triggerWebhooks`; `webhookDelivery` for later apps)."""
        return {
            "since": _iso(self.since),
            "until": _iso(self.until),
            "messageTypes": list(MESSAGE_TYPES),
            "triggerWebhooks": True,
            "webhookDelivery": "Individual",
        }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def refresh_inbox(config: AndroidConfig, request: RefreshRequest, timeout: float | None = None) -> str:
    """Ask the phone to re-send the window's received messages; returns the path that accepted. Raises
    RefreshFailed with a one-line reason (never the password) when it cannot be asked or refuses."""
    if request.until <= request.since:
        raise RefreshFailed("the window is empty: 'since' must be before 'until'")
    auth = (config.user or "sms", config.password or "")
    try:
        with httpx.Client(base_url=config.gateway_url, auth=auth, timeout=timeout or REFRESH_TIMEOUT_SECONDS) as http:
            for path in (REFRESH_PATH, EXPORT_PATH):
                response = http.post(path, json=request.body())
                if response.status_code != 404:
                    break
    except httpx.HTTPError as exc:
        raise RefreshFailed(f"the phone does not answer at ANDROID_GATEWAY_URL ({type(exc).__name__})") from None
    if response.status_code in (200, 201, 202, 204):
        return path
    if response.status_code == 401:
        raise RefreshFailed("the phone refused our credentials: check ANDROID_GATEWAY_USER and _PASSWORD")
    if response.status_code == 404:
        raise RefreshFailed("this version of SMS Gateway for Android cannot re-send its inbox (update the app)")
    raise RefreshFailed(f"the phone answered {response.status_code}: {_reason(response)}")


def _reason(response: httpx.Response) -> str:
    """The app's `{"message": …}`, cut to one short line."""
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        message = None
    return " ".join(str(message or "no reason given").split())[:120]
