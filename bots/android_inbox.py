"""Reading back what the Android phone received in a time window, for the gap when the gateway was unreachable
longer than the phone's own webhook retries: the app's inbox refresh and its inbox list (SMS Gateway for Android).

- `POST /inbox/refresh` (v1.59+; the older `POST /messages/inbox/export` before that) answers 202 and emits
  `sms:received` again for the window's SMS the app had not recorded yet (since v1.65.2 it skips the ones it did:
  an SMS whose webhook ran out of retries is *not* re-sent).
- `GET /inbox?from=…&to=…` (v1.59+) lists the app's own records (`{id, type, sender, contentPreview, createdAt}`),
  newest first, paged. For a text SMS the record's id is `text:<the message's 32-bit hash, signed decimal>` and the
  webhook's `messageId` is the same hash as unsigned hex, `createdAt` the webhook's `receivedAt` and
  `contentPreview` the whole text: each listed SMS becomes the very `sms:received` payload its webhook carried, so
  the gateway's dedupe on that identity recognises the ones it stored.
Hand-written rather than through the `android-sms-gateway` client: that client's `refresh_inbox` sends no
`triggerWebhooks` (app v1.68 then refreshes its own records without one webhook) and it has no inbox list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from bots.android import AndroidConfig

REFRESH_PATH = "/inbox/refresh"
EXPORT_PATH = "/messages/inbox/export"  # before v1.59: same body, webhooks on by default
# The phone selects and queues the window's messages before it answers: a few seconds for a day's SMS.
REFRESH_TIMEOUT_SECONDS = 20.0
LIST_PATH = "/inbox"
PAGE_SIZE = 500  # the app's largest page
MOST_LISTED = 20_000  # a month of a busy office's SMS; a phone that lists more is asked for a shorter window
TEXT_ID_PREFIX = "text:"
MESSAGE_TYPES = ("SMS", "MMS")  # the app refuses the others (DATA_SMS, MMS_DOWNLOADED) in a refresh


class RefreshFailed(Exception):
    """The phone could not be asked, or refused; the message is one line for an operator."""


class ListUnavailable(RefreshFailed):
    """This version of the app has no inbox list (`GET /inbox` is 404)."""


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


@dataclass(frozen=True)
class ListedSms:
    """One text SMS of the phone's inbox list, as its `sms:received` webhook carried it."""

    message_id: str  # the webhook's messageId: the app's hash as unsigned hex
    sender: str
    text: str
    received_at: str  # as the phone wrote it (ISO 8601 with milliseconds and offset)

    def payload(self) -> dict:
        """The `sms:received` payload the phone's webhook carried for this SMS."""
        return {
            "messageId": self.message_id,
            "message": self.text,
            "sender": self.sender,
            "receivedAt": self.received_at,
        }


def webhook_message_id(record_id: str) -> str | None:
    """The webhook's `messageId` from the inbox record's id (`text:-1234` → the same 32 bits as hex), or None
    for a record that is not a text SMS (data SMS and MMS ids are hashes of what the list does not show)."""
    if not record_id.startswith(TEXT_ID_PREFIX):
        return None
    try:
        signed = int(record_id[len(TEXT_ID_PREFIX) :])
    except ValueError:
        return None
    return format(signed & 0xFFFFFFFF, "x") if -(2**31) <= signed < 2**31 else None


def list_inbox(
    config: AndroidConfig, since: datetime, until: datetime, timeout: float | None = None
) -> list[ListedSms]:
    """The text SMS the phone's app recorded from `since` to `until`, every page. Raises RefreshFailed (one line)
    when the phone cannot be asked, refuses, or lists more than `MOST_LISTED`."""
    auth = (config.user or "sms", config.password or "")
    listed: list[ListedSms] = []
    query = {"type": "SMS", "from": _iso(since), "to": _iso(until), "limit": PAGE_SIZE}
    try:
        with httpx.Client(base_url=config.gateway_url, auth=auth, timeout=timeout or REFRESH_TIMEOUT_SECONDS) as http:
            for offset in range(0, MOST_LISTED + PAGE_SIZE, PAGE_SIZE):
                response = http.get(LIST_PATH, params=query | {"offset": offset})
                page = _page(response)
                listed.extend(sms for sms in map(_listed, page) if sms is not None)
                if len(page) < PAGE_SIZE:
                    return listed
    except httpx.HTTPError as exc:
        raise RefreshFailed(f"the phone does not answer at ANDROID_GATEWAY_URL ({type(exc).__name__})") from None
    raise RefreshFailed(f"the phone lists more than {MOST_LISTED} SMS for this window: ask for a shorter one")


def _page(response: httpx.Response) -> list:
    """One page of the list, or RefreshFailed with the phone's reason."""
    if response.status_code == 401:
        raise RefreshFailed("the phone refused our credentials: check ANDROID_GATEWAY_USER and _PASSWORD")
    if response.status_code == 404:
        raise ListUnavailable("this version of SMS Gateway for Android cannot list its inbox (update the app)")
    if response.status_code != 200:
        raise RefreshFailed(f"the phone answered {response.status_code}: {_reason(response)}")
    try:
        page = response.json()
    except ValueError:
        page = None
    if not isinstance(page, list):
        raise RefreshFailed("the phone's inbox list is not a list of messages")
    return page


def _listed(record: object) -> ListedSms | None:
    """A text SMS of the list; None for other records and for any the phone wrote incompletely."""
    if not isinstance(record, dict) or record.get("type", "SMS") != "SMS":
        return None
    message_id = webhook_message_id(str(record.get("id") or ""))
    fields = (record.get("sender"), record.get("contentPreview"), record.get("createdAt"))
    if message_id is None or not all(isinstance(f, str) and f for f in fields):
        return None
    return ListedSms(message_id, *fields)
