"""Case 6's fixed corpus: hand-picked hostile requests sent before the random ones, so that the failures the
fuzzer has found once are tried on every run (each is made signed or left unsigned as the entry says)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from tests.faults.fuzzing import Request, sign

SMS, STATUS, TELEGRAM, ANDROID = ENDPOINTS = (
    "/webhooks/twilio/sms",
    "/webhooks/twilio/status",
    "/webhooks/telegram",
    "/webhooks/android",
)
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def _sms(account_sid: str, **fields: str) -> dict[str, str]:
    """A valid inbound-SMS form with some fields replaced."""
    form = {"AccountSid": account_sid, "MessageSid": "SM" + "f" * 32, "From": "+22376543210", "Body": "bonjour"}
    return {**form, **fields}


def _update(text=None, user_id=9_100_600_001, update_id=880_000_001) -> dict:
    """A private text update (no text when `text` is None)."""
    user = {"id": user_id, "is_bot": False, "first_name": "X"}
    message = {"message_id": 1, "date": 1767614400, "chat": {**user, "type": "private"}, "from": user}
    return {"update_id": update_id, "message": message if text is None else {**message, "text": text}}


def _received(text="bonjour", sender="+22376543210") -> dict:
    """An sms:received event of the phone."""
    return {
        "event": "sms:received",
        "payload": {
            "messageId": "abc",
            "sender": sender,
            "message": text,
            "receivedAt": "2026-03-14T09:30:12.000+00:00",
        },
    }


def corpus(endpoint: str, signed: bool, account_sid: str, auth_token: str, message_ids: dict[str, int]) -> list:
    """The fixed requests of one (endpoint, signed) pair."""
    twilio_mid, android_mid = message_ids.get("twilio", 1), message_ids.get("android", 1)
    entries: list[Request] = []
    if endpoint == SMS:
        forms = [
            _sms(account_sid, Body="a\x00b", MessageSid="SM" + "0" * 32),
            _sms(account_sid, Body="x" * 60_000, MessageSid="SM" + "1" * 32),
            _sms(account_sid, From="+" + "9" * 30),
            _sms(account_sid, MessageSid="SM" + "a" * 62),
            _sms(account_sid, NumMedia="x" * 500, MessageSid="SM" + "2" * 32),
        ]
        entries += [Request(SMS, body=urlencode(f).encode(), headers={"Content-Type": FORM}, form=f) for f in forms]
        entries.append(Request(SMS, query="x=\xff\xfe", body=b"Body=a", headers={"Content-Type": FORM}))
        entries.append(Request(SMS, body=b"Body=a", headers={"Content-Type": FORM, "X-Forwarded-Prefix": ":x"}))
        entries.append(Request(SMS, body=b"Body=%ff%fe&From=%00", headers={"Content-Type": FORM + "; charset=utf-16"}))
    elif endpoint == STATUS:
        forms = [
            {"MessageSid": "SM" + "b" * 32, "MessageStatus": "failed", "ErrorCode": "9" * 60},
            {"MessageSid": "SM" + "c" * 200, "MessageStatus": "delivered"},
            {"MessageSid": "SM" + "d" * 32, "MessageStatus": "sent", "AccountSid": "AC" + "0" * 32},
        ]
        entries += [
            Request(
                STATUS, query=f"mid={twilio_mid}", body=urlencode(f).encode(), headers={"Content-Type": FORM}, form=f
            )
            for f in forms
        ]
        entries.append(Request(STATUS, query="mid=1", body=b"", headers={"X-Forwarded-Prefix": ":x"}))
        entries.append(
            Request(
                STATUS,
                query="mid=99999999999",
                body=b"MessageSid=SMx&MessageStatus=sent",
                headers={"Content-Type": FORM},
                form={"MessageSid": "SMx", "MessageStatus": "sent"},
            )
        )
    elif endpoint == TELEGRAM:
        updates = [
            _update("a\x00b"),
            _update("\ud800", update_id=880_000_002),
            _update(12345, update_id=880_000_003),
            _update("x", user_id=2**64, update_id=880_000_004),
            _update("x", user_id="abc", update_id=8800005),
            _update(None, update_id=880_000_006),
            {"update_id": True},
            {"update_id": 2**80, "message": None},
            [],
        ]
        entries += [Request(TELEGRAM, body=json.dumps(u).encode(), headers={"Content-Type": JSON}) for u in updates]
        entries.append(
            Request(TELEGRAM, body=b'{"update_id": 1, "message": {"text": "\xff"}}', headers={"Content-Type": JSON})
        )
    else:
        events = [
            _received("a\x00b"),
            _received("\ud800"),
            _received(sender="+" + "9" * 30),
            {"event": "sms:delivered", "payload": {"messageId": f"gw{android_mid}" + "9" * 40}},
            {"event": "sms:failed", "payload": {"messageId": f"gw{android_mid}", "reason": "r" * 500}},
            {"event": "sms:sent", "payload": {"messageId": "gw" + "9" * 30}},
            {"event": "sms:received"},
        ]
        entries += [Request(ANDROID, body=json.dumps(e).encode(), headers={"Content-Type": JSON}) for e in events]
        entries.append(
            Request(ANDROID, body=b"{}", headers={"Content-Type": JSON, "X-Signature": "00", "X-Timestamp": "\xb2"})
        )
    for entry in entries:
        entry.signed = signed
        if signed and not (endpoint == ANDROID and entry.headers.get("X-Timestamp") == "\xb2"):
            sign(entry, auth_token, as_form=entry.form is not None)
    return entries
