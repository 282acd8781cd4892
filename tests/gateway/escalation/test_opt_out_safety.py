"""Opting out is a whole-message STOP, never a report that begins with a word like it; staff who opt out stay paged
for alerts (they can be replaced, not silenced) and their coordinators are told (issue 13, point 1)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from flows.catalogue import text as catalogue_text
from gateway.messaging.sms_text import to_gsm7
from gateway.models import Alert, Contact, Notification
from tests.chat import Chat

LEADER = "+22371139685"  # Mamadou Dembélé, leader at Konna/Kotaka (MOPTI)
ALIOU = "+22365639508"  # Aliou Ongoïba, MOPTI duty officer, level 1
BAKARY = "+22376375098"  # Bakary Maïga, Mopti region coordinator, level 2
SALIMATA = "+22365293966"  # Salimata Togo, head office, level 3
FATOUMATA = "+22365181606"  # Fatoumata Kané, MACINA duty officer, level 1 (Ségou region)
BINTOU = "+22371518071"  # Bintou Cissé, Ségou region coordinator, level 2
MOUSSA = "+22378863317"  # Moussa Guindo, MOPTI facilitator
URGENT = "ALERTE 3 des hommes armés encerclent le marché de Kotaka"
STAFF = (ALIOU, BAKARY, SALIMATA, FATOUMATA, BINTOU, MOUSSA)


def sms(key: str, **params) -> str:
    """A French catalogue text as the SMS (console) channel sends it."""
    return to_gsm7(catalogue_text("fr", key, **params))


def opted_out(runtime, phone: str) -> bool:
    with runtime.db.transaction() as session:
        return session.scalar(select(Contact.opted_out).where(Contact.phone == phone))


def staff_chats(runtime) -> dict[str, Chat]:
    """A chat per staff member, opened now: what each is told from here on."""
    return {phone: Chat(runtime, phone) for phone in STAFF}


def told(chats: dict[str, Chat], sender: str) -> dict[str, list[str]]:
    """Who, other than the sender, was told something since the chats were opened (only those who were)."""
    return {phone: replies for phone, chat in chats.items() if (replies := chat.replies()) and phone != sender}


@pytest.mark.parametrize(
    "text",
    [
        "Arrêté: trois jeunes arrêtés au marché",
        "Arrêtez… ils tirent sur le marché",
        "Arrete",
        "Arrêter",
        "stop la violence",
        "STOP 142",
        "Arrêts de bus fermés à Konna",
    ],
)
def test_a_report_that_begins_like_stop_is_stored_and_the_leader_stays_subscribed(runtime, directory, text):
    chat = Chat(runtime, LEADER)
    assert chat.send(text) == [sms("report.received", ref=1)]
    with runtime.db.transaction() as session:
        [report] = session.scalars(select(Alert)).all()
        assert report.reporter.phone == LEADER and report.description == text
    assert opted_out(runtime, LEADER) is False


@pytest.mark.parametrize("text", ["STOP", "stop!", "Arrêt.", " ARRET "])
def test_a_leader_s_stop_alone_still_opts_out_and_tells_nobody_else(runtime, directory, text):
    chats = staff_chats(runtime)
    assert Chat(runtime, LEADER).send(text) == [sms("stop.done")]
    assert opted_out(runtime, LEADER) is True and told(chats, LEADER) == {}


def test_an_opted_out_duty_officer_is_still_paged_and_the_coordinator_was_told(runtime, directory):
    chats = staff_chats(runtime)
    assert Chat(runtime, ALIOU).send("STOP") == [sms("stop.done_officer")]
    assert opted_out(runtime, ALIOU) is True
    notice = sms("stop.officer_notice", officer="Aliou Ongoïba", district="Mopti")
    assert told(chats, ALIOU) == {BAKARY: [notice]}, "the region's coordinator, who can replace him"
    Chat(runtime, LEADER).send(URGENT)
    with runtime.db.transaction() as session:
        paged = [(n.level, n.officer.phone) for n in session.scalars(select(Notification).order_by(Notification.id))]
    assert paged == [(1, ALIOU)], "the district's officer first, not level 2"
    assert chats[ALIOU].replies()[0].startswith("URGENT #1")


def test_with_no_region_coordinator_head_office_is_told(runtime, directory):
    with runtime.db.transaction() as session:
        session.execute(update(Contact).where(Contact.phone == BINTOU).values(active=False))
    chats = staff_chats(runtime)
    assert Chat(runtime, FATOUMATA).send("Stop.") == [sms("stop.done_officer")]
    assert told(chats, FATOUMATA) == {
        SALIMATA: [sms("stop.officer_notice", officer="Fatoumata Kané", district="Macina")]
    }


def test_a_facilitator_who_opts_out_is_replaced_not_silently_lost(runtime, directory):
    chats = staff_chats(runtime)
    assert Chat(runtime, MOUSSA).send("STOP") == [sms("stop.done_facilitator")]
    assert told(chats, MOUSSA) == {BAKARY: [sms("stop.facilitator_notice", officer="Moussa Guindo", district="Mopti")]}
    assert Chat(runtime, MOUSSA).send("STOP") == [] and told(chats, MOUSSA) == {}, (
        "confirmed once, coordinators told once"
    )
