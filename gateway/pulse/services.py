"""Tracked services: every roadmap item makes its service tracked in its (district, commune); a commune with more
than four is asked four a round, the window sliding round after round, so that every service comes round in turn."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from flows.keywords import normalise
from gateway.models import PulseRound, RoadmapItem, ServiceKind

MAX_PER_ROUND = 4  # one SMS of 160 characters holds four services with the longest commune name
SERVICE_ORDER = {kind.value: index for index, kind in enumerate(ServiceKind)}


def commune_key(name: str | None) -> str:
    """A commune's name folded (case, accents, punctuation), as roadmap items and contacts are matched."""
    return normalise(name or "")


@dataclass(frozen=True)
class TrackedCommune:
    """A commune with tracked services: its name as the roadmap spells it and its services in the pulse's order."""

    district_id: int
    key: str
    name: str
    services: tuple[str, ...]


def tracked_communes(session: Session, district_id: int | None = None) -> list[TrackedCommune]:
    """Every (district, commune) with at least one roadmap item, optionally of one district, in a stable order."""
    query = select(RoadmapItem.district_id, RoadmapItem.commune, RoadmapItem.service).order_by(RoadmapItem.id)
    if district_id is not None:
        query = query.where(RoadmapItem.district_id == district_id)
    names: dict[tuple[int, str], str] = {}
    services: dict[tuple[int, str], set[str]] = defaultdict(set)
    for district, commune, service in session.execute(query):
        key = (district, commune_key(commune))
        if not key[1] or service not in SERVICE_ORDER:
            continue
        names.setdefault(key, " ".join(commune.split()))
        services[key].add(service)
    ordered = sorted(names, key=lambda place: (place[0], names[place]))
    return [
        TrackedCommune(place[0], place[1], names[place], tuple(sorted(services[place], key=SERVICE_ORDER.get)))
        for place in ordered
    ]


def asked_this_round(commune: TrackedCommune, history: list[str]) -> list[str]:
    """The services to ask now, at most four, shown in the pulse's order. Beyond four, a window of four slides along
    the commune's services by four each round (`history`: its earlier rounds' `services`): with five services, each
    is left out one round in five, in turn."""
    services, count = list(commune.services), len(commune.services)
    if count <= MAX_PER_ROUND:
        return services
    start = (len(history) * MAX_PER_ROUND) % count
    chosen = {services[(start + offset) % count] for offset in range(MAX_PER_ROUND)}
    return [service for service in services if service in chosen]


def round_history(session: Session, district_id: int | None) -> dict[tuple[int, str], list[str]]:
    """(district, commune key) → the `services` of its earlier rounds, oldest first."""
    query = select(PulseRound.district_id, PulseRound.commune, PulseRound.services).order_by(PulseRound.id)
    if district_id is not None:
        query = query.where(PulseRound.district_id == district_id)
    history: dict[tuple[int, str], list[str]] = defaultdict(list)
    for district, commune, asked in session.execute(query):
        history[(district, commune_key(commune))].append(asked)
    return history
