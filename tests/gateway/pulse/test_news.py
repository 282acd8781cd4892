"""A change is news: a closure (open or partial → closed, by the majority of the round's answers, or by the only
answer) and a return (closed → open) are told once per round and service to the district's facilitators; a closure
also becomes an untriaged "service disruption" report with no reporter and nothing of who answered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from gateway.models import Alert, AlertSource, AlertStatus, Message, MessageKind, Priority, PulseNews
from gateway.pulse.sending import send_pulse
from tests.chat import Chat
from tests.gateway.pulse.support import (
    KONNA_OTHERS,
    KONNA_SMS,
    KONNA_THREE,
    MOPTI_FACILITATOR,
    add_items,
    contact,
)

pytestmark = pytest.mark.usefixtures("directory")

W49 = datetime(2026, 12, 2, 9, tzinfo=UTC)
W50, W51 = W49 + timedelta(days=7), W49 + timedelta(days=14)
LEADERS = (KONNA_SMS, *KONNA_OTHERS)


def answer_all(runtime, texts: list[str]) -> None:
    """The Konna leaders answer in turn, one text each."""
    for phone, text in zip(LEADERS, texts, strict=False):
        Chat(runtime, phone).send(text)


def news(runtime) -> list[str]:
    """What the MOPTI facilitator was told by the pulse, in order."""
    with runtime.db.transaction() as session:
        rows = session.scalars(
            select(Message).where(Message.kind == MessageKind.PULSE_NEWS, Message.address == MOPTI_FACILITATOR)
        )
        return [row.body for row in rows]


def reports(runtime) -> list[Alert]:
    """The pulse's disruption reports."""
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Alert).where(Alert.source == AlertSource.PULSE)))


@pytest.fixture
def open_week(runtime):
    """W49: Konna's school, health and gendarmerie reported open by three leaders."""
    add_items(runtime, KONNA_THREE)
    send_pulse(runtime, actor="test", now=W49)
    answer_all(runtime, ["111", "111", "113"])
    send_pulse(runtime, actor="test", now=W50)


def test_a_closure_is_told_to_the_facilitators_and_reported_to_the_desk(runtime, open_week):
    answer_all(runtime, ["121"])
    assert news(runtime) == ["Pulse #S50: sante fermé à Konna selon 1 réponse(s). Signalement #1 créé."]
    [report] = reports(runtime)
    assert (report.category, report.status, report.reporter_id, report.channel) == (
        "service_disruption", AlertStatus.NEW, None, "pulse"
    )  # fmt: skip
    assert (report.commune, report.district_id, report.region) == (
        "Konna",
        contact(runtime, KONNA_SMS).district_id,
        "Mopti",
    )
    assert report.description == "Pulse #S50: sante signalé fermé à Konna par 1 réponse(s) (avant: ouvert)."
    leader = contact(runtime, KONNA_SMS)
    assert leader.name not in report.description and leader.phone not in report.description
    with runtime.db.transaction() as session:
        told = session.scalar(select(Message).where(Message.kind == MessageKind.PULSE_NEWS))
        assert told.priority == Priority.URGENT  # a closure must not wait behind the pulse's own sending
        assert session.scalar(select(PulseNews.alert_id)) == report.id


def test_the_majority_decides_and_one_news_per_round_and_service(runtime, open_week):
    answer_all(runtime, ["111", "111", "121"])  # one closed of three: no majority for closed
    assert news(runtime) == [] and reports(runtime) == []
    answer_all(runtime, ["121", "121"])  # now two of three say closed
    assert len(news(runtime)) == 1 and len(reports(runtime)) == 1
    answer_all(runtime, ["111", "111", "111", "121", "121"])  # flips to open, then closed again: told once
    assert len(news(runtime)) == 1 and len(reports(runtime)) == 1


def test_partial_to_closed_is_a_closure_closed_to_partial_is_not_a_return(runtime, open_week):
    answer_all(runtime, ["112"])  # gendarmerie was partial (two open, one partial: open) → closed
    assert news(runtime) == ["Pulse #S50: gendarmerie fermé à Konna selon 1 réponse(s). Signalement #1 créé."]
    send_pulse(runtime, actor="test", now=W51)
    answer_all(runtime, ["113"])  # closed → partial: no news
    assert len(news(runtime)) == 1


def test_a_return_is_told_without_a_report(runtime, open_week):
    answer_all(runtime, ["211", "211"])
    send_pulse(runtime, actor="test", now=W51)
    answer_all(runtime, ["ecole 1"])
    assert news(runtime)[-1] == "Pulse #S51: ecole de retour (ouvert) à Konna selon 1 réponse(s)."
    assert len(reports(runtime)) == 1  # the closure's only


def test_a_week_nobody_answered_compares_with_the_last_known_state(runtime, open_week):
    send_pulse(runtime, actor="test", now=W51)  # nobody answered W50
    answer_all(runtime, ["211"])
    assert news(runtime) == ["Pulse #S51: ecole fermé à Konna selon 1 réponse(s). Signalement #1 créé."]


def test_no_earlier_round_no_news(runtime):
    add_items(runtime, KONNA_THREE)
    send_pulse(runtime, actor="test", now=W49)
    answer_all(runtime, ["222", "222"])
    assert news(runtime) == [] and reports(runtime) == []
