"""How big each case is. The issue's numbers are the target (FAULTS_FULL=1 runs them); by default some cases are
scaled down so that the suite stays within ~6 minutes per database on a 2-core machine (see README.md)."""

from __future__ import annotations

import os

FULL = os.environ.get("FAULTS_FULL", "") == "1"


def count(full: int, quick: int) -> int:
    """The issue's number with FAULTS_FULL=1, else the quick one."""
    return full if FULL else quick
