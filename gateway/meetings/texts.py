"""What meeting messages say: the notice in the reader's language, its answer buttons, the tally."""

from __future__ import annotations

from dataclasses import dataclass

from bots.base import Button
from flows import catalogue
from gateway.core.runtime import Runtime
from gateway.meetings.dates import local_form
from gateway.models import Meeting


def when_text(meeting: Meeting, runtime: Runtime, language: str) -> str:
    """The meeting's date in the reader's local form."""
    return local_form(meeting.starts_at, runtime.settings.timezone, language)


def notice_text(meeting: Meeting, runtime: Runtime, language: str, key: str = "meeting.notice") -> str:
    """A notice (or a cancellation, a move) in one language."""
    return catalogue.text(
        language,
        key,
        ref=meeting.id,
        district=meeting.district.name,
        when=when_text(meeting, runtime, language),
        place=meeting.place,
    )


def answer_buttons(meeting: Meeting, language: str) -> tuple[Button, ...]:
    """OUI / NON buttons that send what a leader would type."""
    return (
        Button(catalogue.text(language, "answer.yes"), f"OUI {meeting.id}"),
        Button(catalogue.text(language, "answer.no"), f"NON {meeting.id}"),
    )


@dataclass(frozen=True)
class Tally:
    """Who is coming to a meeting."""

    meeting_id: int
    yes: list[str]
    no: list[str]
    pending: list[str]

    def as_dict(self) -> dict:
        """JSON-ready counts and names."""
        return {
            "ref": self.meeting_id,
            "yes": len(self.yes),
            "no": len(self.no),
            "no_answer": len(self.pending),
            "coming": self.yes,
            "not_coming": self.no,
            "not_answered": self.pending,
        }


def tally(meeting: Meeting) -> Tally:
    """Counts of yes, no and no answer, with names."""
    yes = [i.contact.name for i in meeting.invitations if i.answer is True]
    no = [i.contact.name for i in meeting.invitations if i.answer is False]
    pending = [i.contact.name for i in meeting.invitations if i.answer is None]
    return Tally(meeting.id, yes, no, pending)


def tally_text(meeting: Meeting, language: str) -> str:
    """`#12: 18 oui, 3 non, 5 sans réponse`."""
    counts = tally(meeting)
    return catalogue.text(
        language, "meeting.tally", ref=meeting.id, yes=len(counts.yes), no=len(counts.no), pending=len(counts.pending)
    )
