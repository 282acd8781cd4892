"""Invariant 6, reporters are protected: logs never hold a full phone number or a message body, nor a secret.

The unit table pins what the masking functions keep visible; the other tests read what an operator would read:
the standard error of this process once logging is configured, and the output of a real worker sending messages.
"""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bots.console import read_console_outbox
from gateway.core.logs import configure_logging
from gateway.core.privacy import mask_address, mask_phone_numbers
from gateway.messaging.outbox import queue_message
from gateway.models import Contact, Message
from tests.processes import wait_for

BODY = "Les jeunes et les gendarmes s'affrontent au marché de Konna"
SECRET = "tok-SECRET-123"

MASKED_ADDRESSES = [
    ("+22376123456", "+*********56"),
    ("0022376123456", "***********56"),
    ("76123456", "******56"),
    (1445857208, "********08"),
    (None, "-"),
]

MASKED_TEXTS = [
    ("+22376123456", "+*********56"),
    ("0022376123456", "***********56"),
    ("76 12 34 56", "** ** ** 56"),
    ("+223 76 12 34 56", "+*** ** ** ** 56"),
    ("76-12-34-56", "**-**-**-56"),
    ("76.12.34.56", "**.**.**.56"),
    ("appelez le 76 12 34 56 vite", "appelez le ** ** ** 56 vite"),
    ("de +22376123456 à 0022390940432.", "de +*********56 à ***********32."),
    ("reply to tel:+22376123456, please", "reply to tel:+*********56, please"),
    ('{"from": "+22376123456"}', '{"from": "+*********56"}'),
    ("chat 1445857208 linked", "chat ********08 linked"),
    pytest.param(
        "From=%2B22376123456&To=%2B22370000001",
        "From=%2B*********56&To=%2B*********01",
        id="url-encoded form",
    ),
]

LEFT_ALONE = [
    "#142",
    "alerte #142 confirmée",
    "réunion 142 à Konna",
    "message 12345 sent on console",
    "attempt 3, retry in 10s",
    "2026-12-05 10:00",
    pytest.param("le 05/12/2026 à 10h00", id="french date"),
]


@pytest.mark.parametrize(("address", "expected"), MASKED_ADDRESSES)
def test_mask_address_keeps_only_the_last_two_digits(address, expected):
    assert mask_address(address) == expected


@pytest.mark.parametrize(("text", "expected"), MASKED_TEXTS)
def test_phone_numbers_inside_texts_are_masked(text, expected):
    assert mask_phone_numbers(text) == expected


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_short_numbers_references_and_dates_are_left_alone(text):
    assert mask_phone_numbers(text) == text


def _full_forms(phone: str) -> set[str]:
    """Every way a Malian E.164 number could be written in full: +223…, 00223…, 223…, the national digits."""
    digits = phone.lstrip("+")
    national = digits[-8:]
    return {phone, "00" + digits, digits, national, " ".join(national[i : i + 2] for i in range(0, 8, 2))}


def _masked(phone: str) -> str:
    """The form operators may see: every digit but the last two replaced by `*`."""
    return re.sub(r"\d", "*", phone[:-2]) + phone[-2:]


def _fragments(text: str, size: int = 12) -> list[str]:
    """Every run of `size` characters of a text."""
    return [text[i : i + size] for i in range(len(text) - size + 1)]


@pytest.fixture
def gateway_logging(restore_logging):
    """Let a test call configure_logging; conftest's `restore_logging` puts the root logger back after."""


def test_configured_logs_mask_phones_and_redact_secrets(gateway_logging, capfd):
    configure_logging("INFO", secrets=(SECRET,))
    log = logging.getLogger("anything")
    log.info("inbound from %s via https://api.example/bot%s/send", "+22376123456", SECRET)
    log.warning("retrying 0022390940432 with token " + SECRET)
    log.info("leader wrote from %(phone)s", {"phone": "76 12 34 56"})
    err = capfd.readouterr().err
    assert "+*********56" in err and "***********32" in err and "** ** ** 56" in err
    for leaked in ("22376123456", "22390940432", "76 12 34 56", SECRET):
        assert leaked not in err
    assert err.count("***") >= 2 and "/bot***/send" in err


def test_logged_exceptions_are_masked_but_still_show_the_traceback(gateway_logging, capfd):
    configure_logging("INFO", secrets=(SECRET,))
    try:
        raise ValueError(f"provider refused +22376123456 (auth {SECRET})")
    except ValueError:
        logging.getLogger("workers.outbound").exception("send failed")
    err = capfd.readouterr().err
    assert "Traceback" in err and "ValueError: provider refused +*********56 (auth ***)" in err
    assert "22376123456" not in err and SECRET not in err


def test_logs_below_the_configured_level_are_not_written(gateway_logging, capfd):
    configure_logging("WARNING")
    logging.getLogger("anything").info("quiet please")
    logging.getLogger("anything").warning("loud enough")
    err = capfd.readouterr().err
    assert "quiet please" not in err and "loud enough" in err


def test_a_logged_database_error_holds_neither_body_nor_number(runtime, gateway_logging, capfd):
    configure_logging("INFO")
    row = {"direction": "in", "channel": "console", "address": "+22376123456", "provider_id": "dup-1", "body": BODY}
    with runtime.db.transaction() as session:
        session.add(Message(**row, status="received"))
    try:
        with runtime.db.transaction() as session:  # the same provider id again: the unique key refuses it
            session.add(Message(**row, status="received"))
    except IntegrityError:
        logging.getLogger("gateway.messaging.inbox").error("message stored but not handled yet", exc_info=True)
    else:
        pytest.fail("a second row with the same provider id was accepted")
    err = capfd.readouterr().err
    assert "IntegrityError" in err, "the error itself should still be logged"
    assert "22376123456" not in err and not [f for f in _fragments(BODY) if f in err]


@pytest.mark.e2e
def test_real_worker_output_holds_masked_numbers_only(runtime, directory, redis_client, start_process):
    with runtime.db.transaction() as session:
        contacts = session.scalars(select(Contact).order_by(Contact.id).limit(12)).all()
        ids = [queue_message(session, runtime, contact=c, body=BODY).id for c in contacts]
        recipients = [c.phone for c in contacts]
    worker = start_process("worker")
    wait_for(lambda: len(read_console_outbox(redis_client)) == len(ids), message=f"{len(ids)} console messages")
    assert worker.stop() == 0
    output = worker.log_path.read_text(encoding="utf-8")  # Process.output() fails once the process is stopped

    sent = read_console_outbox(redis_client)
    assert sorted(m["message_id"] for m in sent) == sorted(ids) and {m["text"] for m in sent} == {BODY}
    for phone in recipients:
        assert _masked(phone) in output, f"the worker did not log the send to {_masked(phone)}"
    everyone = {form for row in directory for form in _full_forms(row.phone)}
    everyone |= {str(row.telegram_id) for row in directory if row.telegram_id}
    leaked = sorted(number for number in everyone if number in output)
    assert not leaked, f"full numbers in the worker's output: {[_masked(n) for n in leaked]}"
    leaked_body = [fragment for fragment in _fragments(BODY) if fragment in output]
    assert not leaked_body, f"message body in the worker's output: {leaked_body[:3]}"
