"""Helpers of the pulse tests: the sample roadmap as roadmap items (written directly: the import is the roadmaps
package's), the sample directory's people, the outbox's pulse rows."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from sqlalchemy import select

from gateway.models import Contact, District, Message, MessageKind, PulseAnswer, PulseQuestion, PulseRound, RoadmapItem

ROOT = Path(__file__).resolve().parents[3]
SAMPLE_ROADMAP = ROOT / "gateway" / "sample" / "roadmap.csv"

# People of the sample directory (gateway/sample/directory.csv).
KONNA_SMS = "+22371139685"  # Mamadou Dembélé, MOPTI leader at Konna, French, SMS
KONNA_TG, KONNA_TG_ID = "+22365852425", 4759203699  # Seydou Barry, MOPTI leader at Konna on Telegram
MOPTI_FACILITATOR = "+22378863317"  # Moussa Guindo, MOPTI facilitator (Telegram in the directory; SMS when it is off)


def sample_rows() -> list[dict]:
    """The sample roadmap's rows."""
    with SAMPLE_ROADMAP.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def add_items(runtime, rows: list[dict]) -> int:
    """Write roadmap items (district code, commune, service, optional commitment); the number written."""
    with runtime.db.transaction() as session:
        districts = {d.code: d.id for d in session.scalars(select(District))}
        for index, row in enumerate(rows):
            commitment = row.get("commitment") or f"{row['service']} à {row['commune']} ({index})"
            key = "|".join([row["district"], row["commune"], row.get("village") or "", row["service"], commitment])
            session.add(
                RoadmapItem(
                    natural_key=hashlib.sha256(key.encode()).hexdigest(),
                    district_id=districts[row["district"]],
                    commune=row["commune"],
                    village=row.get("village") or None,
                    service=row["service"],
                    commitment=commitment,
                    status=row.get("status") or "planned",
                )
            )
    return len(rows)


def load_sample_roadmap(runtime) -> int:
    """The sample roadmap, written as roadmap items."""
    return add_items(runtime, sample_rows())


def contact(runtime, phone: str) -> Contact:
    """A fresh copy of a directory contact."""
    with runtime.db.transaction() as session:
        return session.scalar(select(Contact).where(Contact.phone == phone))


def pulse_rows(runtime) -> list[Message]:
    """The outbox's pulse questions, in order."""
    with runtime.db.transaction() as session:
        return list(session.scalars(select(Message).where(Message.kind == MessageKind.PULSE).order_by(Message.id)))


def questions_of(runtime, phone: str) -> list[PulseQuestion]:
    """The pulse questions one contact got, oldest first."""
    with runtime.db.transaction() as session:
        who = session.scalar(select(Contact.id).where(Contact.phone == phone))
        return list(
            session.scalars(select(PulseQuestion).where(PulseQuestion.contact_id == who).order_by(PulseQuestion.id))
        )


KONNA_THREE = [{"district": "MOPTI", "commune": "Konna", "service": s} for s in ("school", "health", "security")]
KONNA_ONE = [{"district": "MOPTI", "commune": "Konna", "service": "security"}]
# The other Konna leaders (all French, SMS).
KONNA_OTHERS = ("+22376611228", "+22378429376", "+22370312436", "+22371739655")


def answers_of(runtime, phone: str) -> dict[tuple[str, str], str]:
    """(week, service) → presence of one leader's recorded answers."""
    with runtime.db.transaction() as session:
        who = session.scalar(select(Contact.id).where(Contact.phone == phone))
        rows = session.execute(
            select(PulseRound.week, PulseAnswer.service, PulseAnswer.presence)
            .join(PulseRound, PulseRound.id == PulseAnswer.round_id)
            .where(PulseAnswer.contact_id == who)
        )
        return {(week, service): presence for week, service, presence in rows}
