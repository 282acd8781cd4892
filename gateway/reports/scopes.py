"""Whose bulletin: one district, one region (its coordinators'), or all districts (head office's); the key is what
`BulletinSending.scope` records (a district code, a region's name, or `all`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.models import District
from gateway.roadmaps.items import fold

ALL = "all"


@dataclass(frozen=True)
class Scope:
    """A bulletin's readership: its key, what it covers (`district`, `region`, `all`) and the district's or region's
    name (its title: gateway/reports/words.py), its districts (None: all of them)."""

    key: str
    kind: str
    name: str
    district_ids: tuple[int, ...] | None


def district_scope(district: District) -> Scope:
    """One district's bulletin, titled with its name."""
    return Scope(district.code, "district", district.name, (district.id,))


def region_scope(session: Session, region: str) -> Scope:
    """A region's bulletin: its districts (the region's name matched without regard to case or accents)."""
    districts = [d for d in session.scalars(select(District).order_by(District.code)) if fold(d.region) == fold(region)]
    name = (districts[0].region if districts else None) or region
    return Scope(name, "region", name, tuple(d.id for d in districts))


def all_scope() -> Scope:
    """Every district's bulletin (head office)."""
    return Scope(ALL, ALL, "", None)


def regions(session: Session) -> list[str]:
    """The regions the districts belong to, each once (as the directory spells them), in alphabetical order."""
    seen: dict[str, str] = {}
    query = select(District.region).where(District.region.is_not(None)).order_by(District.region)
    for region in session.scalars(query):
        seen.setdefault(fold(region), region)
    return sorted(seen.values(), key=fold)
