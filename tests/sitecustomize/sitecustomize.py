"""Loaded by every Python subprocess the tests start (via PYTHONPATH): the same network guard as the tests."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests import netguard  # noqa: E402

netguard.install()
