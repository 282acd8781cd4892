"""The weekly bulletin's data: for a district, a region or all districts and one ISO week, the changes told that
week, each commune × service's latest round with its trend, the roadmap items overdue, the week's alerts counted by
category and severity, and the pulse's response rate. Aggregates only: no reporter, no description, no answer of
one leader (counts are withheld below PULSE_MIN_ANSWERS, as gateway/pulse/results.py does)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from flows.definitions import CATEGORIES
from gateway.models import Alert, District
from gateway.models.pulse import PulseAnswer, PulseNews, PulseQuestion, PulseRound
from gateway.pulse.results import SERVICE_ORDER, ServiceWeek, pulse_results, trend
from gateway.reports.scopes import Scope
from gateway.reports.weeks import IsoWeek
from gateway.roadmaps.items import overdue_items, ref

CHART_WEEKS = 12  # the weeks of service presence the bulletin shows
_CATEGORY_ORDER = {choice.value: index for index, choice in enumerate(CATEGORIES)}


@dataclass(frozen=True)
class Change:
    """A closure or a return told to the district this week (gateway/pulse news)."""

    district: str
    commune: str
    service: str
    change: str  # closed | returned


@dataclass(frozen=True)
class ServiceLine:
    """A commune × service's latest round up to the week, and its trend against the round before."""

    district: str
    row: ServiceWeek
    trend: str  # up | down | same | unknown (a count withheld) | new (no round before)


@dataclass(frozen=True)
class OverdueLine:
    """A roadmap commitment past its due date and not done at the end of the week."""

    ref: str
    district: str
    commune: str
    village: str | None
    service: str
    commitment: str
    responsible: str | None
    due: date
    status: str
    days_late: int


@dataclass(frozen=True)
class AlertCount:
    """How many alerts of one category and severity the week brought (None: not classified, not given)."""

    category: str | None
    severity: int | None
    count: int


@dataclass(frozen=True)
class Bulletin:
    """Everything one bulletin shows, collected once for the HTML and the PDF."""

    scope: Scope
    week: IsoWeek
    changes: tuple[Change, ...]
    services: tuple[ServiceLine, ...]
    history: tuple[ServiceWeek, ...]  # every round of the last CHART_WEEKS weeks: the small multiples
    overdue: tuple[OverdueLine, ...]
    alerts: tuple[AlertCount, ...]
    asked: int  # leaders asked in the week's rounds
    answered: int  # of them, those who answered at least one service
    min_answers: int

    @property
    def alerts_total(self) -> int:
        """Alerts of the week, all categories."""
        return sum(a.count for a in self.alerts)

    @property
    def response_rate(self) -> float | None:
        """Share of the leaders asked this week who answered (None when no pulse went out)."""
        return self.answered / self.asked if self.asked else None

    @property
    def empty(self) -> bool:
        """Nothing to tell: no pulse in the chart's weeks, no change, nothing overdue, no alert."""
        return not (self.history or self.changes or self.overdue or self.alerts)

    def changes_of(self, kind: str) -> int:
        """How many changes of one kind (`closed`, `returned`)."""
        return sum(1 for c in self.changes if c.change == kind)


def collect(session: Session, scope: Scope, week: IsoWeek, *, timezone: str, min_answers: int) -> Bulletin:
    """The bulletin of one scope and week, read in one session."""
    names = dict(session.execute(select(District.code, District.name)).all())
    history = pulse_results(
        session, district_ids=scope.district_ids, weeks=CHART_WEEKS, min_answers=min_answers, today=week.sunday
    )
    services = tuple(
        ServiceLine(names.get(t.latest.district, t.latest.district), t.latest, "new" if t.previous is None else
                    t.direction)
        for t in trend(history)
    )  # fmt: skip
    asked, answered = _participation(session, scope, week)
    return Bulletin(
        scope=scope,
        week=week,
        changes=_changes(session, scope, week),
        services=services,
        history=tuple(history),
        overdue=_overdue(session, scope, week),
        alerts=_alerts(session, scope, week, timezone),
        asked=asked,
        answered=answered,
        min_answers=min_answers,
    )


def _in_scope(column, scope: Scope):
    return column.in_(scope.district_ids) if scope.district_ids is not None else column.is_not(None)


def _changes(session: Session, scope: Scope, week: IsoWeek) -> tuple[Change, ...]:
    rows = session.execute(
        select(District.name, PulseRound.commune, PulseNews.service, PulseNews.change)
        .join(PulseRound, PulseRound.id == PulseNews.round_id)
        .join(District, District.id == PulseRound.district_id)
        .where(PulseRound.week == week.label, _in_scope(PulseRound.district_id, scope))
        .order_by(District.code, PulseRound.commune, PulseNews.id)
    ).all()
    changes = [Change(*row) for row in rows]
    return tuple(sorted(changes, key=lambda c: (c.district, c.commune, SERVICE_ORDER.get(c.service, 99))))


def _participation(session: Session, scope: Scope, week: IsoWeek) -> tuple[int, int]:
    rounds = select(PulseRound.id).where(PulseRound.week == week.label, _in_scope(PulseRound.district_id, scope))
    asked = session.scalar(select(func.count()).where(PulseQuestion.round_id.in_(rounds)))
    # A leader who answered several services of a round, or answered twice, is one leader who answered.
    pairs = select(PulseAnswer.round_id, PulseAnswer.contact_id).where(PulseAnswer.round_id.in_(rounds)).distinct()
    answered = session.scalar(select(func.count()).select_from(pairs.subquery()))
    return int(asked or 0), int(answered or 0)


def _overdue(session: Session, scope: Scope, week: IsoWeek) -> tuple[OverdueLine, ...]:
    # Overdue at the end of the week: due on its Sunday or before, with the status the commitment has now.
    end = week.sunday + timedelta(days=1)
    names = dict(session.execute(select(District.id, District.name)).all())
    return tuple(
        OverdueLine(ref(item.id), names.get(item.district_id, ""), item.commune, item.village, item.service,
                    item.commitment, item.responsible, item.due, item.status, (end - item.due).days)
        for item in overdue_items(session, end, scope.district_ids)
    )  # fmt: skip


def _alerts(session: Session, scope: Scope, week: IsoWeek, timezone: str) -> tuple[AlertCount, ...]:
    start, end = week.bounds(timezone)
    query = select(Alert.category, Alert.severity, func.count())
    query = query.where(Alert.created_at >= start, Alert.created_at < end)
    if scope.district_ids is not None:
        query = query.where(Alert.district_id.in_(scope.district_ids))
    rows = session.execute(query.group_by(Alert.category, Alert.severity)).all()
    counts = [AlertCount(category, severity, int(count)) for category, severity, count in rows]
    return tuple(sorted(counts, key=lambda a: (_CATEGORY_ORDER.get(a.category or "", 99), -(a.severity or 0))))
