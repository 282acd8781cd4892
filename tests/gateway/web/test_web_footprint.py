"""The processes' footprint: libraries that only some pages and the weekly bulletin need are not loaded into every
gunicorn worker and every RQ worker."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Each weighs tens of MB once imported; the web worker's budget is 120 MB (bench/README.md, benchmark 4).
# boto3 (the S3 media store) is loaded only when MEDIA_STORE_URL is set.
HEAVY = ("matplotlib", "numpy", "PIL", "reportlab", "boto3", "botocore")

pytestmark = pytest.mark.slow  # starts a Python process

PROBE = """
import json, sys
{start}
print("LOADED " + json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""
STARTS = {
    "web worker": "from gateway.web.app import create_app; create_app()",
    "rq worker": "import workers.worker, workers.sweeper, workers.outbound, workers.inbound",
    "gateway command": "from gateway.cli import _register; _register()",  # `gateway worker`, `gateway run`
}


@pytest.mark.parametrize("process", sorted(STARTS))
def test_a_process_starts_without_the_charting_and_pdf_libraries(process, env, net_log):
    from tests.processes import subprocess_env

    code = PROBE.format(start=STARTS[process], heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", code], env=subprocess_env(env, net_log), capture_output=True, text=True, timeout=120
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("LOADED ")), None)
    assert line is not None, done.stderr[-2000:]
    assert json.loads(line[len("LOADED ") :]) == [], "loaded at start-up: every web worker carries them"
