"""The inbound spool: when the database cannot store a verified inbound message, it is written to a local file
(fsynced) and the provider gets its usual answer, because some providers (Twilio) never retry an SMS webhook.
The spool is replayed into the database as soon as it answers again; deduplication makes replays harmless."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from bots.base import InboundMessage, MediaRef

log = logging.getLogger(__name__)


def spool_dir(instance_path: Path) -> Path:
    """Where spooled messages wait (inside the instance folder, like the SQLite file)."""
    return instance_path / "spool"


def write(instance_path: Path, inbound: InboundMessage, address_kind: str) -> None:
    """Append one message to this process's spool file and make sure it is on disk before answering."""
    folder = spool_dir(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    record = {"address_kind": address_kind, **asdict(inbound), "extra": dict(inbound.extra)}
    record.pop("received_at", None)
    # A leading newline: a line torn by a crash or a full disk never swallows the record written after it.
    line = "\n" + json.dumps(record, ensure_ascii=False) + "\n"
    _append(folder / f"inbound-{os.getpid()}.jsonl", line)
    log.warning("database unavailable: %s message %s spooled", inbound.channel, inbound.provider_id[:12])


def _append(path: Path, text: str) -> None:
    """Append under an exclusive lock to the file that still bears `path`, fsynced.

    A replayer renames a file away, then locks it before reading it: a writer that opened the file before the
    rename finds, once it holds the lock, that the name now points elsewhere, and writes to a fresh file instead
    of to one that is about to be read and unlinked."""
    while True:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                named = os.stat(path).st_ino
            except FileNotFoundError:
                named = None
            if named != os.fstat(fd).st_ino:
                continue  # claimed by a replayer between our open and our lock: start a new file
            os.write(fd, text.encode("utf-8"))
            os.fsync(fd)
            return
        finally:
            os.close(fd)  # closing releases the lock


def _read_claimed(path: Path) -> str:
    """Read a claimed file once no writer holds it: a writer that got the lock before the claim has finished."""
    with open(path, encoding="utf-8") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        return fh.read()


def pending(instance_path: Path) -> bool:
    """True when some spooled message waits (cheap: one directory listing)."""
    folder = spool_dir(instance_path)
    return folder.is_dir() and any(p.suffix == ".jsonl" for p in folder.iterdir())


def replay(runtime, accept: Callable[..., object]) -> int:
    """Store every spooled message (once each) with `accept(runtime, inbound, address_kind=...)`, which also
    queues its handling; a file is removed only when all its lines are stored."""
    folder = spool_dir(runtime.settings.instance_path)
    if not folder.is_dir():
        return 0
    _recover_abandoned(folder)
    stored = 0
    for path in sorted(folder.glob("*.jsonl")):
        # A name of its own per claim: two threads of one process replaying must never rename onto each other.
        claimed = path.with_suffix(f".replaying-{os.getpid()}-{uuid.uuid4().hex[:12]}")
        try:
            path.rename(claimed)  # one replayer per file, even with several processes
        except FileNotFoundError:
            continue
        lines = [line for line in _read_claimed(claimed).splitlines() if line.strip()]
        done = 0
        try:
            for line in lines:
                try:
                    record = json.loads(line)
                    kind = record.pop("address_kind")
                    record["media"] = tuple(MediaRef.from_dict(m) for m in record.get("media") or ())
                    inbound = InboundMessage(**record)
                except (ValueError, TypeError, KeyError):
                    _quarantine(folder, line)  # torn by a crash: kept aside for a person, never blocks the rest
                    done += 1
                    continue
                accept(runtime, inbound, address_kind=kind)
                done += 1
                stored += 1
        except Exception as exc:  # noqa: BLE001 - still down: put the rest back for the next try
            log.warning("spool replay stopped (%s); %s message(s) wait", type(exc).__name__, len(lines) - done)
            _append(path, "\n" + "\n".join(lines[done:]) + "\n")
            claimed.unlink()
            return stored
        claimed.unlink()
    if stored:
        log.info("spool replayed: %s message(s) stored", stored)
    return stored


def _recover_abandoned(folder: Path) -> None:
    """A file claimed by a replayer that died goes back to the spool."""
    for path in folder.glob("*.replaying-*"):
        _, pid, token = (path.suffix.split("-") + ["", ""])[:3]
        if pid.isdigit() and not _alive(int(pid)):
            path.rename(path.with_name(f"{path.stem}-recovered-{pid}-{token}.jsonl"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _quarantine(folder: Path, line: str) -> None:
    """Keep an unreadable spool line in `spool/unreadable.txt` (it may hold a message a person can still read)."""
    with open(folder / "unreadable.txt", "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
    log.error("an unreadable spool line was set aside in %s", folder / "unreadable.txt")
