"""Case 7: after the whole suite, the captured logs (every gateway subprocess's output and this process's log
records) hold no full phone number, no Telegram id, no message body (nor any 12-character run of one) and no secret
(invariant 6). It runs last, and first adds a small workload of its own with LOG_LEVEL=DEBUG, so that it never
judges an empty corpus when run alone."""

from __future__ import annotations

import pytest

from tests.faults import logscan
from tests.faults.population import add_leaders
from tests.faults.procs import wait_until
from tests.faults.providers import http_session, inbound_form, post_sms, twilio_deliveries

pytestmark = [pytest.mark.faults, pytest.mark.e2e]

CASE = 7
SENDERS = 10
DEBUG = {"LOG_LEVEL": "DEBUG"}


def report_text(index: int) -> str:
    """A report naming people and places, as leaders write them."""
    return f"Le chef de Sofara dit que Hamadoun Cisse a recu des menaces hier soir au marche, rapport {index}"


@pytest.mark.timeout(180)
def test_captured_logs_hold_no_phone_number_nor_body(runtime, gateway, fake_twilio, row):
    """7. Logs of every process hold no full number, body or secret."""
    leaders = add_leaders(runtime, CASE, SENDERS)
    stranger = "+22369990001"
    logscan.remember(
        phones=[c.phone for c in leaders] + [stranger], bodies=[report_text(i) for i in range(SENDERS + 1)]
    )
    base = gateway.web(extra_env=DEBUG)
    gateway.worker(extra_env=DEBUG)
    session = http_session()
    senders = [c.phone for c in leaders] + [stranger]
    for i, sender in enumerate(senders):
        form = inbound_form(fake_twilio.account_sid, sender, report_text(i))
        assert post_sms(session, base, fake_twilio.auth_token, form).status_code == 200
    wait_until(lambda: len(twilio_deliveries(fake_twilio)) >= len(senders), timeout=60)
    gateway.close()  # their output joins the corpus now

    sources, lines = logscan.volume()
    leaks = logscan.find_leaks()
    found = {kind: items for kind, items in leaks.items() if items}
    row.set(
        sent=f"{sources} log sources, {lines:,} lines",
        stored=f"{len(logscan.PHONES):,} numbers, {len(logscan.TELEGRAM_IDS):,} Telegram ids, "
        f"{len(logscan.BODIES):,} bodies looked for",
        duplicates="n/a",
        lost=f"{sum(len(v) for v in found.values())} leaks",
        five_xx="n/a",
    )
    assert len(twilio_deliveries(fake_twilio)) >= len(senders), "the workload of this case did not go through"
    assert not found, "\n".join(f"{kind}: {len(items)}× e.g. {items[:3]}" for kind, items in found.items())
