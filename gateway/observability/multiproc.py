"""Where every process of the gateway keeps its counters for Prometheus (prometheus_client's multiprocess mode).

prometheus_client decides once, when it is first imported, whether values live in memory or in per-process files
under PROMETHEUS_MULTIPROC_DIR: `prepare` must therefore run before anything imports it (the web app factory, the
worker command and `gateway run` call it first). Nothing here imports prometheus_client at module level."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

log = logging.getLogger(__name__)

ENV = "PROMETHEUS_MULTIPROC_DIR"
DEFAULT_FOLDER = "metrics"  # under the instance folder


def directory() -> Path | None:
    """The multiprocess directory in force in this process, or None (single-process mode)."""
    raw = os.environ.get(ENV)
    return Path(raw) if raw else None


def prepare(instance_path: Path, wipe: bool = False) -> Path:
    """Point PROMETHEUS_MULTIPROC_DIR at `<instance>/metrics` unless the environment names another directory,
    create it private (0700), and with `wipe` remove the previous run's files (only when the whole gateway starts:
    a single worker that wiped would erase its siblings' counts)."""
    configured = directory()
    path = configured or Path(instance_path) / DEFAULT_FOLDER
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if configured is None:
        os.chmod(path, 0o700)  # ours: counts of a private gateway stay private even if umask was loose
    if wipe:
        for stale in path.glob("*.db"):  # prometheus_client's files only, never anything else an operator put there
            stale.unlink(missing_ok=True)
    os.environ[ENV] = str(path)
    if "prometheus_client" in sys.modules and not _multiprocess_values():
        log.warning("prometheus_client was imported before %s was set: this process's metrics are not shared", ENV)
    return path


def _multiprocess_values() -> bool:
    """Whether the imported prometheus_client keeps its values in files."""
    from prometheus_client import values

    return getattr(values.ValueClass, "_multiprocess", False)


def mark_process_dead(pid: int) -> None:
    """Forget a finished process's live gauges (gunicorn's `child_exit`, a worker's exit); its counters stay."""
    if directory() is None:
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)
