"""Refuses any connection that would leave this machine; every attempt is recorded so the session fails."""

from __future__ import annotations

import ipaddress
import os
import socket

ATTEMPTS: list[str] = []
# Subprocesses (workers, gunicorn) append their attempts here; the test session reads it at the end.
LOG_ENV = "GATEWAY_TEST_NET_LOG"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class NetworkBlocked(ConnectionRefusedError):
    """A test tried to reach the internet."""


def _is_local(host) -> bool:
    if host in ("localhost", "", None):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _record(what: str) -> None:
    ATTEMPTS.append(what)
    path = os.environ.get(LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(what + "\n")


def _check(sock, address) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
        _record(f"connect to {address[0]}:{address[1]}")
        raise NetworkBlocked(f"tests may not reach {address[0]}: only 127.0.0.1 is allowed")


def _connect(self, address):
    _check(self, address)
    return _real_connect(self, address)


def _connect_ex(self, address):
    _check(self, address)
    return _real_connect_ex(self, address)


def _getaddrinfo(host, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    if not _is_local(name):
        _record(f"resolve {name}")
        raise NetworkBlocked(f"tests may not resolve {name}: only 127.0.0.1 is allowed")
    return _real_getaddrinfo(host, *args, **kwargs)


def install() -> None:
    """Patch the socket module of this process."""
    socket.socket.connect = _connect
    socket.socket.connect_ex = _connect_ex
    socket.getaddrinfo = _getaddrinfo
