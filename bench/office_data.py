"""The data of the office benchmark (bench/office.py): two staff accounts, three past meetings of the district with
their invitations and answers, and a message log of realistic rows spread over the past days, in and out, on the
contacts' channels, bulk-inserted through Core (seeded, so reproducible)."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert, select

from gateway.models import (
    Contact,
    District,
    Invitation,
    Meeting,
    MeetingStatus,
    Message,
    MessageKind,
    MessageStatus,
    StaffUser,
    utcnow,
)
from gateway.staff.scope import Scope

RARE_KIND = MessageKind.TRIAGE_REMINDER  # about 1 row in 10,000
# Outbound kinds and their weights in a year of a district's traffic (the rare kind is added apart).
OUT_KINDS = (
    (MessageKind.REPLY, 30),
    (MessageKind.MEETING_NOTICE, 22),
    (MessageKind.MEETING_REMINDER, 12),
    (MessageKind.BROADCAST, 10),
    (MessageKind.ALERT_CONFIRMATION, 8),
    (MessageKind.FOLLOWUP, 5),
    (MessageKind.ESCALATION, 3),
    (MessageKind.TALLY, 3),
    (MessageKind.DIGEST, 2),
    (MessageKind.OFFICER_NOTICE, 1),
)
OUT_STATUSES = (
    (MessageStatus.DELIVERED, 72),
    (MessageStatus.SENT, 16),
    (MessageStatus.FAILED, 8),
    (MessageStatus.HELD, 1),
)
ERRORS = ("21610", "30003", "30005", "telegram:forbidden", "network:timeout")
BODIES_IN = ("OUI", "NON", "ALERTE 2 conflit champ Koro", "Bonjour", "ALERTE 3 vol de bétail à Yoro", "STOP")
BODIES_OUT = (
    "Réunion à la mairie de Koro le 12/03 à 10h. Répondez OUI ou NON.",
    "Rappel : réunion demain à 10h à la mairie.",
    "Merci, votre alerte a été transmise.",
    "Message du bureau : la route de Bondo est fermée.",
)
BATCH = 10_000


def staff_scopes(session) -> tuple[Scope, Scope]:
    """An admin and the coordinator of the district's region, as console accounts; their scopes."""
    district = session.scalar(select(District).where(District.code == "KORO"))
    admin = StaffUser(email="admin@bench.example", name="Admin Bench", role="admin")
    coordinator = StaffUser(email="coord@bench.example", name="Coord Bench", role="coordinator", region=district.region)
    session.add_all([admin, coordinator])
    session.flush()
    return Scope.of(admin), Scope.of(coordinator)


def past_meetings(session, rng: random.Random, count: int = 3) -> int:
    """`count` past meetings of KORO, every leader invited; each answers each with probability 0.55 (so some
    never answer the last 3); the number of invitations."""
    district = session.scalar(select(District).where(District.code == "KORO"))
    leaders = list(session.scalars(select(Contact.id).where(Contact.district_id == district.id)))
    now, rows = utcnow(), []
    for weeks in range(count, 0, -1):
        meeting = Meeting(district_id=district.id, starts_at=now - timedelta(weeks=weeks), place="Mairie de Koro",
                          status=MeetingStatus.SCHEDULED)  # fmt: skip
        session.add(meeting)
        session.flush()
        for contact_id in leaders:
            answer = (rng.random() < 0.7) if rng.random() < 0.55 else None
            answered_at = meeting.starts_at - timedelta(days=1) if answer is not None else None
            rows.append({"meeting_id": meeting.id, "contact_id": contact_id, "answer": answer,
                         "answered_at": answered_at})  # fmt: skip
    session.execute(insert(Invitation), rows)
    return len(rows)


def _row(rng: random.Random, contact, created, index: int) -> dict:
    """One message: 35 % in, the rest out; on the contact's channel (a tenth of SMS through the Android phone)."""
    contact_id, phone, telegram_id, preferred = contact
    channel = "telegram" if preferred == "telegram" and telegram_id else "twilio"
    if channel == "twilio" and rng.random() < 0.1:
        channel = "android"
    address = str(telegram_id) if channel == "telegram" else phone
    row = {"channel": channel, "contact_id": contact_id, "address": address, "created_at": created,
           "updated_at": created, "priority": "bulk", "provider_id": f"B{index:09d}", "attempts": 1}  # fmt: skip
    if rng.random() < 0.35:
        if rng.random() < 0.02:  # a number not in the directory
            row.update(contact_id=None, address=f"+2236{index % 10**7:07d}")
        return row | {"direction": "in", "status": MessageStatus.RECEIVED, "kind": MessageKind.REPLY,
                      "body": rng.choice(BODIES_IN), "processed_at": created, "priority": "urgent"}  # fmt: skip
    kinds, weights = zip(*OUT_KINDS, strict=True)
    kind = RARE_KIND if rng.random() < 0.0001 else rng.choices(kinds, weights)[0]
    statuses, weights = zip(*OUT_STATUSES, strict=True)
    status = rng.choices(statuses, weights)[0]
    failed = status in (MessageStatus.FAILED, MessageStatus.HELD)
    delivered_at = created + timedelta(seconds=20) if status == MessageStatus.DELIVERED else None
    return row | {"direction": "out", "status": status, "kind": kind, "body": rng.choice(BODIES_OUT),
                  "error_code": rng.choice(ERRORS) if failed else None, "sent_at": None if failed else created,
                  "delivered_at": delivered_at}  # fmt: skip


def message_log(session, rng: random.Random, rows: int, days: int) -> dict:
    """`rows` messages of the directory's contacts, created uniformly over the past `days` days and inserted
    oldest first (ids grow with time, as in production); what the filters will look for."""
    contacts = list(session.execute(select(Contact.id, Contact.phone, Contact.telegram_id, Contact.channel)))
    now = utcnow()
    moments = sorted(now - timedelta(seconds=rng.uniform(0, days * 86400)) for _ in range(rows))
    for start in range(0, rows, BATCH):
        batch = [_row(rng, rng.choice(contacts), moments[i], i) for i in range(start, min(start + BATCH, rows))]
        session.execute(insert(Message), batch)
    return {"contact_id": contacts[len(contacts) // 2][0], "oldest": moments[0]}
