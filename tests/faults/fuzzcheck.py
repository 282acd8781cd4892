"""Case 6's referee: sends fuzzed requests (in-process or over raw HTTP) and notes every anomaly instead of
stopping at the first, so that one run counts everything and names each distinct failure once: a 5xx, an error
logged while handling, a 4xx without a reason, anything stored or spooled from an unsigned request, and a signed
message spooled although the database is up (it would wait there for ever)."""

from __future__ import annotations

import json
import logging
import re
import shutil
import socket
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select

from gateway.messaging import spool
from gateway.models import Alert, Message
from tests.faults.fuzzing import Request

STORED = "an unsigned request stored something"


class ErrorRecords(logging.Handler):
    """Keeps the ERROR records logged while one request is handled: (kind of failure, details)."""

    def __init__(self) -> None:
        """Start with no records."""
        super().__init__(level=logging.ERROR)
        self.records: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the record if it is an error."""
        text = record.getMessage()
        kind = re.sub(r"'[^']*'|[\d*]+", "…", text)
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            cause = getattr(exc, "orig", None)  # the driver's own error under SQLAlchemy's, e.g. a value too long
            kind += f" [{type(exc).__name__}{f': {type(cause).__name__}' if cause is not None else ''}]"
            text += f" [{type(record.exc_info[1]).__name__}: {str(record.exc_info[1])[:100]}]"
        self.records.append((kind, text))


@dataclass
class Campaign:
    """Counts and anomalies of one fuzzing run against one gateway."""

    runtime: object
    sent: int = 0
    statuses: Counter = field(default_factory=Counter)
    anomalies: dict[str, tuple[int, str]] = field(default_factory=dict)  # what → (how often, first example)
    baseline: int | None = None  # messages and alerts stored before the first request

    def stored(self) -> int:
        """Messages and alerts in the database (one query)."""
        with self.runtime.db.transaction() as session:
            messages = select(func.count()).select_from(Message).scalar_subquery()
            return session.scalar(select(messages + select(func.count()).select_from(Alert).scalar_subquery()))

    def note(self, what: str, request: Request | None, details: str = "") -> None:
        """Record an anomaly: one entry per kind, with how often it happened and its first example."""
        first = f"{request.describe()}\n      -> {details[:300]}" if request is not None else details[:300]
        seen, example = self.anomalies.get(what, (0, first))
        self.anomalies[what] = (seen + 1, example)

    def judge(
        self,
        request: Request,
        status: int,
        content_type: str,
        body: bytes,
        errors: list[tuple[str, str]],
        stored: int | None,
    ) -> None:
        """Check one answer against the properties of case 6."""
        self.sent += 1
        self.statuses[status] += 1
        where = f"{request.path} {'signed' if request.signed else 'unsigned'}"
        kinds, details = "; ".join(k for k, _ in errors), "; ".join(t for _, t in errors)
        if status >= 500:
            self.note(f"{where}: {status} {kinds}", request, details or body.decode(errors="replace"))
        elif errors:
            self.note(f"{where}: {status} but an error was logged: {kinds}", request, details)
        if 400 <= status < 500 and request.method != "HEAD" and not _has_reason(content_type, body):
            self.note(f"{where}: {status} without a JSON reason", request)
        if request.signed and stored is not None:
            self.baseline = stored  # what signed requests store is expected
        elif not request.signed:
            if 200 <= status < 300:
                self.note(f"{where}: unsigned request answered {status}", request)
            if stored is not None and stored != self.baseline:
                self.note(f"{where}: {STORED}", request)
        folder = spool.spool_dir(self.runtime.settings.instance_path)
        if spool.pending(self.runtime.settings.instance_path):
            self.note(f"{where}: spooled although the database is up ({kinds})", request, details)
            shutil.rmtree(folder)

    def send(self, client, request: Request, check_storage: bool) -> None:
        """Send one request through the Flask test client and judge the answer."""
        handler = ErrorRecords()
        root = logging.getLogger()
        root.addHandler(handler)
        if self.baseline is None:
            self.baseline = self.stored()
        try:
            response = client.open(
                request.path,
                method=request.method,
                data=request.body,
                headers=request.headers,
                environ_overrides={"QUERY_STRING": request.query},
            )
            status, content_type, body = response.status_code, response.content_type or "", response.get_data()
        finally:
            root.removeHandler(handler)
        self.judge(request, status, content_type, body, handler.records, self.stored() if check_storage else None)

    def report(self) -> str:
        """The anomalies, most frequent first, one line each."""
        lines = [
            f"{n}× {what}\n      e.g. {example}"
            for what, (n, example) in sorted(self.anomalies.items(), key=lambda item: -item[1][0])
        ]
        return "\n".join(lines)


def _has_reason(content_type: str, body: bytes) -> bool:
    """True when the answer is JSON with a non-empty `reason`."""
    if not content_type.startswith("application/json"):
        return False
    try:
        reason = json.loads(body).get("reason")
    except (ValueError, AttributeError):
        return False
    return isinstance(reason, str) and bool(reason.strip())


def raw_http(host: str, port: int, request: Request, timeout: float = 15) -> tuple[int, str, bytes]:
    """Send a request as raw HTTP/1.1 bytes (any header, any query byte); status, content type and body."""
    head = f"{request.method} {request.target} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n"
    for name, value in request.headers.items():
        head += f"{name}: {value}\r\n"
    head += f"Content-Length: {len(request.body)}\r\n\r\n"
    return raw_exchange(host, port, head.encode("latin-1") + request.body, timeout)


def raw_exchange(host: str, port: int, data: bytes, timeout: float = 15) -> tuple[int, str, bytes]:
    """Write bytes to the server and read its whole answer; (status, content type, body), status 0 if none."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server may answer (413) and close before reading everything
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        except OSError:
            pass
    answer = b"".join(chunks)
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    match = re.match(r"HTTP/1\.[01] (\d{3})", lines[0] if lines else "")
    content_type = next((ln.split(":", 1)[1].strip() for ln in lines if ln.lower().startswith("content-type:")), "")
    return (int(match.group(1)) if match else 0), content_type, body
