"""The phone's inbox list read as the webhooks it stands for: record ids turned back into `messageId`, times read
as instants, records the list cannot stand for left out, and the list read from the fake phone over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bots.android import AndroidConfig, AndroidSmsChannel, received_instant
from bots.android_inbox import ListedSms, RefreshFailed, _listed, list_inbox, webhook_message_id
from gateway.directory.phones import to_e164
from tests.fakes.android_phone import PASSWORD, SIGNING_KEY, USER

LEADER = "+22371139685"


@pytest.mark.parametrize(
    "record_id,expected",
    [
        ("text:0", "0"),
        ("text:145", "91"),
        ("text:-1", "ffffffff"),
        ("text:2147483647", "7fffffff"),
        ("text:-2147483648", "80000000"),
        ("text:2147483648", None),  # no Kotlin Int
        ("text:12ab", None),
        ("text:", None),
        ("mms:-1", None),  # an MMS's record id hashes its MMS id: nothing to read back
        ("data:5", None),
        ("", None),
    ],
)
def test_a_record_id_gives_back_the_webhook_message_id(record_id, expected):
    assert webhook_message_id(record_id) == expected


@pytest.mark.parametrize(
    "written,instant",
    [
        ("2026-12-07T09:00:00.000Z", "2026-12-07T09:00:00.000Z"),  # the app in Mali: unchanged
        ("2026-12-07T09:00:00.000+00:00", "2026-12-07T09:00:00.000Z"),
        ("2026-12-07T10:00:00.123+01:00", "2026-12-07T09:00:00.123Z"),  # a phone set to another zone
        ("2026-12-07T09:00:00Z", "2026-12-07T09:00:00.000Z"),
        ("2026-12-07T09:00:00", "2026-12-07T09:00:00"),  # no offset: kept as written
        ("hier", "hier"),
    ],
)
def test_received_at_is_read_as_one_instant(written, instant):
    assert received_instant(written) == instant


def channel() -> AndroidSmsChannel:
    config = AndroidConfig(gateway_url="http://127.0.0.1:9", normalise_phone=to_e164, signing_key=SIGNING_KEY)
    return AndroidSmsChannel(config)


def test_a_webhook_and_its_listed_record_are_one_message_whatever_the_offset():
    webhook = {"messageId": "8a41ce9", "message": "OUI 12", "sender": LEADER, "receivedAt": "2026-12-07T09:00:00.000Z"}
    listed = ListedSms("8a41ce9", "71 13 96 85", "OUI 12", "2026-12-07T10:00:00.000+01:00")
    events = ({"event": "sms:received", "payload": p} for p in (webhook, listed.payload()))
    first, second = (channel().parse_event(event) for event in events)
    assert first.inbound.provider_id == second.inbound.provider_id
    other = ListedSms("8a41ce9", LEADER, "OUI 12", "2026-12-07T09:00:00.001Z")
    assert channel().parse_event({"event": "sms:received", "payload": other.payload()}).inbound.provider_id != (
        first.inbound.provider_id
    ), "another instant is another SMS"


GOOD = {"id": "text:-5", "type": "SMS", "sender": LEADER, "contentPreview": "AIDE", "createdAt": "2026-12-07T09:00:00Z"}


@pytest.mark.parametrize(
    "record",
    [
        {**GOOD, "type": "MMS_DOWNLOADED", "id": "mms:77"},
        {**GOOD, "type": "DATA_SMS", "id": "data:5"},
        {**GOOD, "id": "text:x"},
        {**GOOD, "sender": ""},
        {**GOOD, "contentPreview": None},
        {**GOOD, "createdAt": 1765098000000},
        "text:-5",
        None,
    ],
    ids=["mms", "data", "bad-id", "no-sender", "no-text", "numeric-time", "not-an-object", "null"],
)
def test_records_that_stand_for_no_text_sms_are_left_out(record):
    assert _listed(record) is None
    assert _listed(GOOD) == ListedSms("fffffffb", LEADER, "AIDE", "2026-12-07T09:00:00Z")


def config_for(phone, password: str = PASSWORD) -> AndroidConfig:
    return AndroidConfig(gateway_url=phone.url, normalise_phone=to_e164, user=USER, password=password)


def test_the_list_is_read_from_the_phone_for_the_window_only(fake_phone):
    now = datetime.now(UTC)
    for hours, text in ((5, "trop vieux"), (1, "ALERTE 2 puits"), (0.5, "OUI 3")):
        fake_phone.inject_inbound("http://127.0.0.1:9/", LEADER, text, now - timedelta(hours=hours))
    listed = list_inbox(config_for(fake_phone), now - timedelta(hours=2), now)
    assert [sms.text for sms in listed] == ["OUI 3", "ALERTE 2 puits"], "newest first, as the app lists"
    [request] = [r for r in fake_phone.requests if r.path == "/inbox"]
    assert request.auth_ok and request.answered == 200


@pytest.mark.parametrize(
    "answer,reason",
    [
        ((401, {"message": "Unauthorized"}, {}), "refused our credentials"),
        ((500, {"message": "Failed to retrieve incoming messages: disk I/O"}, {}), "answered 500: Failed to retrieve"),
        ((200, {"messages": []}, {}), "not a list of messages"),
    ],
    ids=["401", "500", "not-a-list"],
)
def test_a_list_the_phone_refuses_or_garbles_is_one_line(fake_phone, monkeypatch, answer, reason):
    monkeypatch.setattr(fake_phone, "list_inbox", lambda query: answer)
    now = datetime.now(UTC)
    with pytest.raises(RefreshFailed, match=reason) as caught:
        list_inbox(config_for(fake_phone), now - timedelta(hours=2), now)
    assert "\n" not in str(caught.value) and PASSWORD not in str(caught.value)


def test_the_phone_off_is_one_line(fake_phone):
    config = config_for(fake_phone)
    fake_phone.stop()
    now = datetime.now(UTC)
    with pytest.raises(RefreshFailed, match="does not answer"):
        list_inbox(config, now - timedelta(hours=2), now)
