"""What every fake provider shares: an HTTP server on 127.0.0.1 (a free port, or a given one to come back where it
was), served from a daemon thread, whose request handler reaches the fake as `owner`; stopped, it refuses
connections, as a provider that is down."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class LocalServer:
    """The start/stop/url part of a fake provider; the fake names its handler class and its thread."""

    thread_name = "fake-provider"
    _server: ThreadingHTTPServer | None = None

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """The fake's request handler class (it reads the fake as `self.owner`)."""
        raise NotImplementedError

    def start(self, port: int = 0) -> Self:
        """Listen on 127.0.0.1 (a free port, or `port`), serving from a daemon thread."""
        handler = type("Handler", (self.handler(),), {"owner": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name=self.thread_name, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port: from now on connections are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        """The fake's base URL, as the gateway's settings take it (each fake's `env` says which)."""
        assert self._server is not None, "the fake is not running"
        return f"http://127.0.0.1:{self._server.server_port}"
