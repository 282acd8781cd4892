"""Helpers of the roadmap tests: import a CSV text into the test database, read items back."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from gateway.models import RoadmapItem
from gateway.roadmaps.csv_import import ImportReport, apply_rows, read_rows, validate

SAMPLE_ROADMAP = Path(__file__).resolve().parents[3] / "gateway" / "sample" / "roadmap.csv"
HEADER = "district,commune,village,service,commitment,responsible,due,status\n"


def import_text(runtime, text: str) -> ImportReport:
    """Validate and write a roadmap CSV (the test fails on any bad line)."""
    with runtime.db.transaction() as session:
        valid, errors = validate(session, read_rows(text))
        assert not errors, errors
        return apply_rows(session, valid)


def import_sample(runtime) -> ImportReport:
    """The sample roadmap, imported against the sample directory."""
    return import_text(runtime, SAMPLE_ROADMAP.read_text(encoding="utf-8"))


def item_id(runtime, commitment: str) -> int:
    """The id of the item with this commitment."""
    with runtime.db.transaction() as session:
        return session.scalar(select(RoadmapItem.id).where(RoadmapItem.commitment == commitment))
