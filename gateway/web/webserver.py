"""gunicorn settings of the web process, shared by the Procfile (`-c python:gateway.web.webserver`) and `gateway web`.

Chosen by measurement against slow clients (tests/faults/test_8_slow_clients.py; README "Deployment"): with sync
workers two half-sent requests held both workers until gunicorn killed them after `timeout` (31 s without an answer
to /healthz); threaded workers keep answering while others stall, a receive timeout on every accepted socket frees
the thread a stalled client holds, and closing it does not block the worker's main loop. Production still belongs
behind a buffering reverse proxy.
"""

from __future__ import annotations

import logging
import socket
import struct

from gunicorn.workers.gthread import ThreadWorker

# gunicorn reads the lower-case names below as its settings when this module is its config file.
worker_class = "gateway.web.webserver.GatewayThreadWorker"
threads = 32  # per worker: each stalled client holds one thread for at most READ_TIMEOUT_SECONDS
keepalive = 2  # seconds an idle kept-alive connection may wait for its next request
timeout = 30  # a worker whose main loop stops for this long is restarted
graceful_timeout = 15
control_socket_disable = True  # one shared ~/.gunicorn socket would mix instances (ignored by gunicorn < 24)

# A client that sends nothing for this long in the middle of a request is dropped: providers send a webhook in one
# burst; a slow mobile link still gets this many seconds per packet.
READ_TIMEOUT_SECONDS = 10

SLOW_CLIENT_NOTE = "a client sent nothing for %d s in the middle of a request: connection closed"

log = logging.getLogger(__name__)


def _timed_out(exc: BaseException | None) -> bool:
    """Whether an exception is a receive that hit SO_RCVTIMEO (EAGAIN on a blocking socket) or a socket timeout."""
    return isinstance(exc, BlockingIOError | TimeoutError)


class SlowClientFilter(logging.Filter):
    """Turns gunicorn's traceback for a receive timeout into one warning line: a slow client is not a crash."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place when it carries a receive timeout; keep every record."""
        if record.exc_info and _timed_out(record.exc_info[1]):
            record.msg, record.args = SLOW_CLIENT_NOTE, (READ_TIMEOUT_SECONDS,)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


class GatewayThreadWorker(ThreadWorker):
    """gunicorn's gthread worker, with graceful closes moved off the main loop.

    Closing a connection gracefully lingers up to 2 s for the client to close its side (gunicorn ≥ 25); on the main
    loop, a few dozen stalled clients closed in a row froze accepting and got the worker killed by `timeout`.
    """

    def finish_request(self, conn, fs) -> None:
        """As gunicorn does, but a graceful close runs in the thread pool."""
        close = conn.close

        def close_off_loop(graceful: bool = False) -> None:
            """Graceful closes go to a pool thread (the main loop keeps accepting); others close now."""
            if not graceful:
                return close()
            try:
                self.tpool.submit(close, graceful=True)
            except RuntimeError:  # the pool is shut down: the worker is stopping
                close(graceful=True)

        conn.close = close_off_loop
        try:
            super().finish_request(conn, fs)
        finally:
            del conn.close  # back to the method: a kept-alive connection is finished again later


def set_receive_timeout(sock: socket.socket, seconds: float) -> None:
    """SO_RCVTIMEO on a socket: a blocking recv gives up after `seconds` without data (Linux copies it from the
    listening socket to every accepted one, whatever the worker later does with Python-level timeouts)."""
    whole = int(seconds)
    timeval = struct.pack("ll", whole, int((seconds - whole) * 1_000_000))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)


def post_worker_init(worker) -> None:
    """gunicorn hook, in each worker: the receive timeout on the listening sockets, the quiet log filter."""
    for listener in worker.sockets:
        set_receive_timeout(listener.sock, READ_TIMEOUT_SECONDS)
    logging.getLogger("gunicorn.error").addFilter(SlowClientFilter())


def child_exit(_server, worker) -> None:
    """gunicorn hook, in the master: a worker is gone; its live gauges leave the metrics (its counters stay)."""
    from gateway.observability.multiproc import mark_process_dead

    mark_process_dead(worker.pid)


SETTINGS = {
    "worker_class": worker_class,
    "threads": threads,
    "keepalive": keepalive,
    "timeout": timeout,
    "graceful_timeout": graceful_timeout,
    "control_socket_disable": control_socket_disable,
    "post_worker_init": post_worker_init,
    "child_exit": child_exit,
}


def apply(cfg) -> None:
    """Set SETTINGS on a gunicorn Config, skipping names this gunicorn version does not know."""
    for name, value in SETTINGS.items():
        if name in cfg.settings:
            cfg.set(name, value)
