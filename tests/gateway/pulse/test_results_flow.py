"""From the pulse to the indicators through the real pipeline: the W50 pulse sent to Konna's six leaders, answers
typed by SMS in several shapes (one replaced), then `pulse_results` as the console, the API and the CLI read it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.pulse.results import pulse_results
from gateway.pulse.sending import send_pulse
from tests.chat import Chat
from tests.gateway.pulse.support import KONNA_OTHERS, KONNA_SMS, KONNA_THREE, add_items

pytestmark = pytest.mark.usefixtures("directory")

W50 = datetime(2026, 12, 9, 9, tzinfo=UTC)  # a Wednesday of 2026-W50


def results(runtime, least: int = 3) -> dict[str, tuple]:
    """service → (open, closed, partial, no_answer, response_rate, too_few) of Konna in W50."""
    with runtime.db.transaction() as db:
        rows = pulse_results(db, district_ids=None, weeks=1, min_answers=least, today=W50.date())
    assert {(r.district, r.commune, r.week) for r in rows} == {("MOPTI", "Konna", "2026-W50")}
    return {r.service: (r.open, r.closed, r.partial, r.no_answer, r.response_rate, r.too_few) for r in rows}


def test_answers_become_indicators(runtime):
    add_items(runtime, KONNA_THREE)
    summary = send_pulse(runtime, actor="test", now=W50)
    assert summary.recipients == 6
    replies = {KONNA_SMS: "113", KONNA_OTHERS[0]: "1 1 2", KONNA_OTHERS[1]: "S50 123", KONNA_OTHERS[2]: "ecole 2"}
    for phone, text in replies.items():
        Chat(runtime, phone).send(text)
    assert results(runtime) == {
        "school": (3, 1, 0, 2, 0.6667, False),
        "health": (2, 1, 0, 3, 0.5, False),
        "security": (0, 1, 2, 3, 0.5, False),
    }
    Chat(runtime, KONNA_SMS).send("222")  # Mamadou corrects himself: his answer is replaced, not added
    assert results(runtime)["school"] == (2, 2, 0, 2, 0.6667, False)
    assert results(runtime)["security"] == (0, 2, 1, 3, 0.5, False)
    assert results(runtime, least=4)["health"] == (None, None, None, None, 0.5, True)
