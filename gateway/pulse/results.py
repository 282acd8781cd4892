"""The pulse's results: per commune × service × round, how many leaders said open, closed or partial, how many did
not answer, and the response rate; counts are withheld (None) below PULSE_MIN_ANSWERS so no answer is singled out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.models import District
from gateway.models.pulse import PulseAnswer, PulseQuestion, PulseRound, ServicePresence
from gateway.models.roadmaps import ServiceKind

SERVICE_ORDER = {kind.value: index for index, kind in enumerate(ServiceKind)}


@dataclass(frozen=True)
class ServiceWeek:
    """One commune × service × round: DESIGN's results object (counts None when too_few)."""

    district: str
    commune: str
    service: str
    round: int
    week: str
    open: int | None
    closed: int | None
    partial: int | None
    no_answer: int | None
    response_rate: float
    too_few: bool

    @property
    def answered(self) -> int | None:
        """Leaders who answered about this service (None when withheld)."""
        return None if self.too_few else (self.open or 0) + (self.closed or 0) + (self.partial or 0)

    @property
    def open_share(self) -> float | None:
        """Share of the answers saying open (0..1), None when withheld or nobody answered."""
        answered = self.answered
        return None if not answered else (self.open or 0) / answered


@dataclass(frozen=True)
class Trend:
    """A commune × service: its latest round in the window and the round before it (same commune), if any."""

    latest: ServiceWeek
    previous: ServiceWeek | None

    @property
    def direction(self) -> str:
        """`up`, `down` or `same` for the open share against the previous round; `unknown` when either is withheld."""
        now = self.latest.open_share
        before = self.previous.open_share if self.previous else None
        if now is None or before is None:
            return "unknown"
        return "up" if now > before else "down" if now < before else "same"


def week_label(day: date) -> str:
    """The ISO week of a local date, written `2026-W49`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_window(today: date, weeks: int) -> list[str]:
    """The last `weeks` ISO weeks ending with `today`'s, oldest first."""
    monday = today - timedelta(days=today.weekday())
    return [week_label(monday - timedelta(weeks=back)) for back in range(max(weeks, 0) - 1, -1, -1)]


def _asked(session: Session, round_ids: list[int]) -> dict[int, int]:
    # The questions recorded per round; PulseRound.asked is the sender's own count, used when no question row exists.
    query = select(PulseQuestion.round_id, func.count()).where(PulseQuestion.round_id.in_(round_ids))
    return dict(session.execute(query.group_by(PulseQuestion.round_id)).all())


def _answers(session: Session, round_ids: list[int]) -> dict[tuple[int, str], dict[str, int]]:
    # One row per (round, leader, service): a replaced answer is the same row, so it is counted once.
    query = (
        select(PulseAnswer.round_id, PulseAnswer.service, PulseAnswer.presence, func.count())
        .where(PulseAnswer.round_id.in_(round_ids))
        .group_by(PulseAnswer.round_id, PulseAnswer.service, PulseAnswer.presence)
    )
    counts: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for round_id, service, presence, count in session.execute(query):
        counts[(round_id, service)][presence] = count
    return counts


def _service_week(pulse_round: PulseRound, code: str, service: str, asked: int, counts: dict[str, int], least: int):
    answered = sum(counts.get(p.value, 0) for p in ServicePresence)
    rate = min(answered / asked, 1.0) if asked else 0.0
    too_few = answered < least
    # Below the threshold every count is withheld, no_answer too (asked minus it would give the answers back).
    numbers = [counts.get(p.value, 0) for p in ServicePresence] + [max(asked - answered, 0)]
    opened, closed, partial, no_answer = [None] * 4 if too_few else numbers
    return ServiceWeek(
        district=code,
        commune=pulse_round.commune,
        service=service,
        round=pulse_round.id,
        week=pulse_round.week,
        open=opened,
        closed=closed,
        partial=partial,
        no_answer=no_answer,
        response_rate=round(rate, 4),
        too_few=too_few,
    )


def pulse_results(
    session: Session, *, district_ids: Collection[int] | None, weeks: int, min_answers: int, today: date
) -> list[ServiceWeek]:
    """Rows of the rounds of the last `weeks` ISO weeks ending with `today`'s (local), of the given districts (None:
    all), ordered by district code, commune, service (the pulse's order), week and round."""
    query = (
        select(PulseRound, District.code)
        .join(District, District.id == PulseRound.district_id)
        .where(PulseRound.week.in_(week_window(today, weeks)))
    )
    if district_ids is not None:
        query = query.where(PulseRound.district_id.in_(list(district_ids)))
    rounds = session.execute(query).all()
    ids = [r.id for r, _ in rounds]
    asked, answers = (_asked(session, ids), _answers(session, ids)) if ids else ({}, {})
    rows = []
    for pulse_round, code in rounds:
        for service in [s.strip() for s in pulse_round.services.split(",") if s.strip()]:
            count = asked.get(pulse_round.id) or pulse_round.asked or 0
            counts = answers.get((pulse_round.id, service), {})
            rows.append(_service_week(pulse_round, code, service, count, counts, min_answers))
    return sorted(rows, key=_order)


def _order(row: ServiceWeek) -> tuple:
    return (row.district, row.commune.casefold(), row.commune, SERVICE_ORDER.get(row.service, 99), row.service,
            row.week, row.round)  # fmt: skip


def trend(rows: Iterable[ServiceWeek]) -> list[Trend]:
    """For each district × commune × service: the latest round and the one before it, in the rows' order."""
    series: dict[tuple[str, str, str], list[ServiceWeek]] = defaultdict(list)
    for row in rows:
        series[(row.district, row.commune, row.service)].append(row)
    out = []
    for runs in series.values():
        runs.sort(key=lambda r: (r.week, r.round))
        out.append(Trend(latest=runs[-1], previous=runs[-2] if len(runs) > 1 else None))
    return sorted(out, key=lambda t: _order(t.latest))


def results_json(rows: Iterable[ServiceWeek], key: str = "results") -> dict:
    """DESIGN's JSON shape: `{"results": [{"district", "commune", ..., "too_few"}]}` (the API names its key)."""
    return {key: [asdict(row) for row in rows]}
