"""Overdue commitments in the daily digest: the district's facilitators read their references in the same one SMS,
the duty officers' digest is untouched, and a long list is cut (the rest counted) rather than overflow."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from flows.catalogue import text as catalogue_text
from gateway.alerts.digests import send_digests
from gateway.messaging.sms_text import count_segments, to_gsm7
from gateway.models import Alert, Contact, Message, MessageKind, utcnow
from gateway.roadmaps.digest import with_overdue
from tests.chat import Chat
from tests.gateway.roadmaps.support import HEADER, import_text

pytestmark = pytest.mark.usefixtures("directory")
KORO_FACILITATOR = "+22391731768"  # Bakary Dembélé
KORO_OFFICER = "+22379678122"  # Seydou Traoré, level 1
KORO_LEADER = "+22376972134"
DAY = (utcnow() + timedelta(days=10)).date()  # the digest's day, ahead of the real clock (Bamako is UTC+0)
EVENING = datetime.combine(DAY, time(18, 0), tzinfo=UTC)


@pytest.fixture
def env(base_env) -> dict[str, str]:
    """The digest at 18:00."""
    return {**base_env, "DIGEST_AT": "18:00"}


def koro_roadmap(runtime) -> None:
    """Two KORO items past due (R1, R3), one done past due, one due today; one MOPTI item past due."""
    past, today = (DAY - timedelta(days=3)).isoformat(), DAY.isoformat()
    import_text(
        runtime,
        HEADER
        + f"KORO,Bondo,,school,École de Bondo rouverte,CAP,{past},in_progress\n"
        + f"KORO,Bondo,,health,Infirmier au CSCom,District sanitaire,{today},planned\n"
        + f"KORO,Koro,,water,Forage réparé,Mairie,{past},\n"
        + f"KORO,Koro,,market,Foire rouverte,Mairie,{past},done\n"
        + f"MOPTI,Konna,,justice,Juge de paix,Tribunal,{past},stalled\n",
    )


def digests(runtime) -> dict[str, list[str]]:
    """Phone → bodies of the digests queued."""
    with runtime.db.transaction() as session:
        rows = session.execute(
            select(Contact.phone, Message.body)
            .join(Contact, Contact.id == Message.contact_id)
            .where(Message.kind == MessageKind.DIGEST)
            .order_by(Message.id)
        ).all()
    out: dict[str, list[str]] = {}
    for phone, body in rows:
        out.setdefault(phone, []).append(body)
    return out


def plain_digest(district: str, **counts) -> str:
    """The French digest of a district without the roadmap line."""
    values = {"district": district, "total": 0, "s3": 0, "s2": 0, "s1": 0, "s0": 0, "open": 0, "meetings": 0}
    return catalogue_text("fr", "digest.text", **{**values, **counts})


def test_overdue_items_reach_the_facilitators_in_the_digest_and_only_them(runtime):
    koro_roadmap(runtime)
    sent_count = send_digests(runtime, now=EVENING)
    sent = digests(runtime)
    koro = to_gsm7(plain_digest("Koro") + " Feuille de route: 2 en retard: R1 R3")
    assert [to_gsm7(b) for b in sent[KORO_FACILITATOR]] == [koro]
    assert count_segments(to_gsm7(sent[KORO_FACILITATOR][0])).segments == 1
    assert KORO_OFFICER not in sent, "nothing but the roadmap to say: the duty officer is not disturbed"
    assert sent_count == len(sent) and all(len(bodies) == 1 for bodies in sent.values())


def test_with_alerts_the_officer_gets_the_digest_without_the_roadmap(runtime):
    koro_roadmap(runtime)
    Chat(runtime, KORO_LEADER).send("ALERTE 1 tout est calme")
    with runtime.db.transaction() as session:
        session.execute(update(Alert).values(created_at=EVENING - timedelta(hours=8)))  # an alert of the day
    send_digests(runtime, now=EVENING)
    sent = digests(runtime)
    assert sent[KORO_OFFICER] == [plain_digest("Koro", total=1, s1=1)]
    assert sent[KORO_FACILITATOR][0].endswith(" Feuille de route: 2 en retard: R1 R3")


def test_no_overdue_item_no_roadmap_line(runtime):
    import_text(runtime, HEADER + f"KORO,Bondo,,school,École,CAP,{DAY.isoformat()},planned\n")
    assert send_digests(runtime, now=EVENING) == 0, "nothing to say: nothing is sent"


def test_a_long_list_is_cut_to_one_sms_with_the_rest_counted():
    body = plain_digest("Koro", total=3, s2=1, s1=2, meetings=1)
    refs = [f"R{n}" for n in range(100, 160)]
    [text] = with_overdue(body, "fr", refs)
    assert count_segments(to_gsm7(text)).segments == 1
    line = text.removeprefix(body + " ")
    assert line.startswith("Feuille de route: 60 en retard: R100")
    shown, more = line.split(": ")[-1].split(" +")
    assert len(shown.split()) + int(more) == 60


def test_when_nothing_fits_beside_the_digest_the_line_goes_in_a_second_sms():
    body = plain_digest("Bandiagara", total=120, s3=40, s2=40, s1=40, s0=40, open=12, meetings=7)
    first, second = with_overdue(body, "fr", ["R12345", "R12346"])
    assert first == body
    assert second == "Feuille de route: 2 en retard: R12345 R12346"
    assert with_overdue(body, "fr", []) == [body]
