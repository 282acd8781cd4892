"""The roadmap's line in a district's daily digest: its overdue items, told to the facilitators in the same SMS."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from flows import catalogue
from gateway.messaging.sms_text import count_segments, to_gsm7
from gateway.roadmaps.items import overdue_items, ref


def overdue_refs(session: Session, district_id: int, today: date) -> list[str]:
    """References of the district's overdue items (`R4`), oldest due date first."""
    return [ref(item.id) for item in overdue_items(session, today, district_ids=[district_id])]


def _line(language: str, refs: list[str], shown: int) -> str:
    listed = " ".join(refs[:shown])
    if shown < len(refs):
        listed += " " + catalogue.text(language, "roadmap.more", count=len(refs) - shown)
    return catalogue.text(language, "roadmap.overdue_digest", count=len(refs), refs=listed)


def _one_sms(text: str) -> bool:
    return count_segments(to_gsm7(text)).segments == 1


def with_overdue(body: str, language: str, refs: list[str]) -> list[str]:
    """The digest `body` with the overdue line appended, as many references as one SMS holds (the rest counted);
    when even one reference does not fit beside the digest, the line goes as a second SMS rather than be lost."""
    if not refs:
        return [body]
    for shown in range(len(refs), 0, -1):
        text = f"{body} {_line(language, refs, shown)}"
        if _one_sms(text):
            return [text]
    alone = next((_line(language, refs, n) for n in range(len(refs), 0, -1) if _one_sms(_line(language, refs, n))), "")
    return [body, alone or _line(language, refs, 1)]
