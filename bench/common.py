"""Shared helpers of the benchmarks: the stack's environment, databases, processes, RSS/CPU sampling, results.

Everything listens on 127.0.0.1, uses Redis database 3 and the PostgreSQL database `bench_gw` (or a SQLite file in
a fresh temporary folder), and every process a benchmark starts is stopped by its own process group id.
"""

from __future__ import annotations

import os
import platform
import shlex
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/bench_gw")
PUBLIC_BASE_URL = "https://gateway.example.org"  # only signed over; nothing connects to it
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, timeout: float = 30) -> None:
    """Wait until `url` answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


def children(pid: int) -> list[int]:
    """Direct children of a process."""
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    except OSError:
        pass
    return found


def status_kb(pid: int, field: str) -> int:
    """A `kB` field of /proc/<pid>/status (VmRSS, VmHWM); 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process (0 when gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class RssSampler(threading.Thread):
    """Samples VmRSS/VmHWM of named process groups: `roles` maps a role to a function returning its pids."""

    def __init__(self, roles: dict, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.roles, self.interval = roles, interval
        self.peak_kb: dict[str, int] = {role: 0 for role in roles}
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        """One sample of every role (VmHWM is the kernel's own peak, so short spikes are not missed)."""
        for role, pids in self.roles.items():
            for pid in pids():
                peak = max(status_kb(pid, "VmHWM"), status_kb(pid, "VmRSS"))
                self.peak_kb[role] = max(self.peak_kb[role], peak)

    def stop(self) -> dict[str, float]:
        """Stop sampling; peak RSS per role in MB."""
        self.sample()
        self._stop.set()
        return {role: kb / 1024 for role, kb in self.peak_kb.items()}


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(pct / 100 * len(ordered) + 0.5)) - 1))]


def _first_line(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return "?"


def machine() -> str:
    """One paragraph describing the machine and the stack's versions."""
    import redis

    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    mem = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.splitlines()
    mem_total = mem[1].split()[1] if len(mem) > 1 else "?"
    redis_version = redis.Redis.from_url(REDIS_URL).info("server").get("redis_version", "?")
    try:
        import psycopg

        with psycopg.connect(PG_URL) as conn:
            pg = conn.execute("SHOW server_version").fetchone()[0]
    except Exception:  # noqa: BLE001 - PostgreSQL is optional for the SQLite runs
        pg = "unavailable"
    versions = []
    for dist in ("gunicorn", "flask", "rq", "redis", "sqlalchemy", "psycopg", "twilio"):
        try:
            from importlib.metadata import version

            versions.append(f"{dist} {version(dist)}")
        except Exception:  # noqa: BLE001
            pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"nproc {os.cpu_count()}, RAM {mem_total}, CPU {cpu}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, Redis {redis_version}, PostgreSQL {pg}, {', '.join(versions)}, "
        f"{_first_line(['wrk', '--version'])[:20]}; load average at start {load}"
    )


def command_line() -> str:
    """The exact command that ran this benchmark."""
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    if spec is not None and spec.name.startswith("bench."):
        return " ".join(["/work/venv/bin/python -m", spec.name, *(shlex.quote(a) for a in sys.argv[1:])])
    return "/work/venv/bin/python " + " ".join(
        shlex.quote(a) for a in [os.path.relpath(sys.argv[0], ROOT)] + sys.argv[1:]
    )


def product_version() -> str:
    """The commit the product was at (read-only git), and whether its code had uncommitted changes
    (BENCH_PRODUCT_LABEL overrides, e.g. for a tree exported with `git archive` to measure an older commit)."""
    if os.environ.get("BENCH_PRODUCT_LABEL"):
        return os.environ["BENCH_PRODUCT_LABEL"]
    head = _first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "gateway", "bots", "flows", "workers"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"commit {head}" + (" with uncommitted changes to the product" if dirty else "")


_PRODUCT_AT_START: list[str] = []


def product_at_start() -> str:
    """product_version() as it was when the benchmark started (the processes run the code of that moment)."""
    if not _PRODUCT_AT_START:
        _PRODUCT_AT_START.append(product_version())
    return _PRODUCT_AT_START[0]


product_at_start()


def record(title: str, rows: list[tuple], notes: str = "", header=("metric", "value", "target", "met")) -> str:
    """Print a results table and append it, with the machine and the command, to bench/RESULTS.md."""
    lines = [
        f"### {title} — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Command: `{command_line()}` (product at start: {product_at_start()})",
        "",
        f"Machine: {machine()}",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    now = product_version()
    if now != product_at_start():
        notes = (notes + " " if notes else "") + f"**Warning: the product changed during this run (now {now}).**"
    if notes:
        lines += ["", notes]
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    if os.environ.get("BENCH_NO_RECORD") != "1":
        with open(os.environ.get("BENCH_RESULTS") or BENCH / "RESULTS.md", "a", encoding="utf-8") as fh:
            fh.write("\n" + text)
    return text


def verdict(ok: bool | None) -> str:
    """A cell for the `met` column."""
    return "n/a" if ok is None else ("yes" if ok else "**no**")


def pyspy(pid: int, out: Path, seconds: int, subprocesses: bool = True) -> subprocess.Popen:
    """Start py-spy on a process (and its children), raw collapsed stacks to `out` (see profile_summary.py)."""
    spy = Path(PYTHON).with_name("py-spy")
    args = [str(spy), "record", "-p", str(pid), "-d", str(seconds), "-r", "100", "-f", "raw", "--idle", "-o", str(out)]
    if subprocesses:
        args.append("--subprocesses")
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def machine_cpu() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def busy_cores(before: tuple[int, int], after: tuple[int, int]) -> float:
    """Cores busy on average between two machine_cpu() readings (anyone's processes, not only ours)."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total * (os.cpu_count() or 1) if total else 0.0
