"""The fake phone's received SMS, as SMS Gateway for Android v1.68 keeps them: Android's own inbox (every SMS the
SIM got), the app's records of the ones it processed (`incoming_messages`), its inbox refresh and its inbox list.

- An SMS the app processed is recorded and its `sms:received` webhook emitted; one it missed (the app killed, the
  phone off) is only in Android's inbox (`inject_inbound(..., app_missed=True)`).
- `POST /inbox/refresh` (and `/messages/inbox/export`) processes the window's SMS the app has not recorded (since
  v1.65.2 it skips the recorded ones: an SMS whose webhook ran out of retries is not emitted again), and emits their
  webhooks only with `triggerWebhooks` (default off on `/inbox/refresh`, on for the older export).
- `GET /inbox?type=&from=&to=&limit=&offset=` lists the records, newest first, with `X-Total-Count`: `id` is
  `text:<32-bit hash, signed decimal>` (the webhook's `messageId` is the same hash as unsigned hex, no padding),
  `contentPreview` the text, `createdAt` the webhook's `receivedAt`.
"""

from __future__ import annotations

import zlib
from datetime import datetime

LIST_TYPES = ("SMS", "DATA_SMS", "MMS", "MMS_DOWNLOADED")


def _signed(value: int) -> int:
    """A Kotlin Int from 32 unsigned bits."""
    return value - 2**32 if value >= 2**31 else value


def _when(text: str) -> datetime | None:
    """The app's parser: ISO 8601 with an offset, milliseconds optional; None when it is not that."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


class PhoneInbox:
    """Android's inbox and the app's records, mixed into the fake phone (which owns `_lock`, `deliver`…)."""

    def _init_inbox(self) -> None:
        self.inbox: list[tuple[datetime, dict]] = []  # Android's inbox: when, and the SMS's sms:received payload
        self.records: dict[str, dict] = {}  # the app's incoming_messages, by record id
        self.refresh_skips_recorded = True  # v1.65.2+; False: an older app that re-emits everything

    def inject_inbound(self, target, sender: str, text: str, received_at: datetime | None = None,
                       app_missed: bool = False, **kw):  # fmt: skip
        """An SMS arrives: the app records it and emits sms:received (its messageId the app's 32-bit hash as hex);
        `kw` as for `deliver`; returns the last delivery. `app_missed`: only Android's inbox has it (None)."""
        from tests.fakes.android_phone import iso

        when = iso(received_at)
        digest = zlib.crc32(f"{sender}|{when}|1|{text}".encode())
        payload = {"messageId": format(digest, "x"), "message": text, "sender": sender, "recipient": None}
        payload |= {"simNumber": 1, "receivedAt": when, "phoneNumber": sender}  # phoneNumber: deprecated, still sent
        with self._lock:
            self.inbox.append((datetime.fromisoformat(when), payload))
        if app_missed:
            return None
        self._record(payload)
        return self.deliver(target, self.envelope("sms:received", payload), **kw)[-1]

    def _record(self, payload: dict) -> None:
        record_id = f"text:{_signed(int(payload['messageId'], 16))}"
        record = {"id": record_id, "type": "SMS", "sender": payload["sender"], "recipient": None, "simNumber": 1}
        record |= {"contentPreview": payload["message"], "createdAt": payload["receivedAt"]}
        with self._lock:
            self.records[record_id] = record

    def recorded(self, payload: dict) -> bool:
        """Whether the app's records hold this SMS (its dedup safety net)."""
        with self._lock:
            return f"text:{_signed(int(payload['messageId'], 16))}" in self.records

    def refresh_inbox(self, body, path: str) -> tuple[int, dict | None]:
        """`POST /inbox/refresh` (or `/messages/inbox/export`): validated like the app; the window's SMS it has not
        recorded are recorded, and with webhooks on emitted (same payload, new envelope) to `sms:received` hooks."""
        if error := _invalid_refresh(body):
            return 400, {"message": error}
        since, until = (_when(body[k]) for k in ("since", "until"))
        trigger = body.get("triggerWebhooks", path == "/messages/inbox/export")
        with self._lock:
            window = sorted((p for at, p in self.inbox if since <= at <= until), key=lambda p: p["receivedAt"])
            urls = [h["url"] for h in self.webhooks.values() if h["event"] == "sms:received"]
        for payload in window:
            if self.refresh_skips_recorded and self.recorded(payload):
                continue
            self._record(payload)
            for url in urls if trigger else ():
                self.deliver(self.route_to or url, self.envelope("sms:received", dict(payload)))
        return 202, None

    def list_inbox(self, query: dict[str, str]) -> tuple[int, object, dict[str, str]]:
        """`GET /inbox`: the records in `from`..`to` (default: all until now), newest first, one page; the status,
        the answer and the `X-Total-Count` header."""
        kind = query.get("type") or None
        if kind is not None and kind not in LIST_TYPES:
            return 400, {"message": "Invalid type"}, {}
        try:
            limit, offset = int(query.get("limit", "50")), int(query.get("offset", "0"))
        except ValueError:
            limit, offset = 50, 0  # the app reads a bad number as the default
        if not 1 <= limit <= 500:
            return 400, {"message": "limit must be between 1 and 500"}, {}
        if offset < 0:
            return 400, {"message": "offset must be >= 0"}, {}
        bounds = [_when(query[k]) if k in query else None for k in ("from", "to")]
        if any(k in query and b is None for k, b in zip(("from", "to"), bounds, strict=True)):
            return 400, {"message": "Invalid from datetime" if bounds[0] is None else "Invalid to datetime"}, {}
        low, high = bounds
        if low and high and low > high:
            return 400, {"message": "Start date cannot be after end date"}, {}
        with self._lock:
            rows = [r for r in self.records.values() if kind in (None, r["type"])]
        rows = [r for r in rows if (low is None or _when(r["createdAt"]) >= low)
                and (high is None or _when(r["createdAt"]) <= high)]  # fmt: skip
        rows.sort(key=lambda r: (_when(r["createdAt"]), r["id"]), reverse=True)
        return 200, rows[offset : offset + limit], {"X-Total-Count": str(len(rows))}


def _invalid_refresh(body) -> str | None:
    """Why the app refuses an inbox refresh; None when it is valid."""
    if not isinstance(body, dict) or not isinstance(body.get("since"), str) or not isinstance(body.get("until"), str):
        return "since and until are required"
    since, until = (_when(body[k]) for k in ("since", "until"))
    if since is None or until is None:
        return "Invalid request body"
    if since > until:
        return "since must be before until"
    types = body.get("messageTypes")
    if types is not None and (not isinstance(types, list) or not types or set(types) - {"SMS", "MMS"}):
        return "messageTypes must not be empty and only SMS or MMS"
    return None
