"""A TCP proxy on 127.0.0.1 in front of PostgreSQL that can be cut (every connection dropped, new ones closed at
once) and restored: the database, as the gateway sees it, becomes unreachable and comes back."""

from __future__ import annotations

import socket
import threading


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target until cut."""

    def __init__(self, target_host: str, target_port: int) -> None:
        """Listen on a free port of 127.0.0.1 and start forwarding."""
        self.target = (target_host, target_port)
        self.down = False
        self.refused = 0  # connections closed while cut
        self._pairs: set[tuple[socket.socket, socket.socket]] = set()
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(256)
        self.port = self._listener.getsockname()[1]
        self._running = True
        threading.Thread(target=self._accept, name="pg-proxy", daemon=True).start()

    def _accept(self) -> None:
        """Accept connections: forward them, or close them at once while cut."""
        while self._running:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.down:
                self.refused += 1
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            pair = (client, upstream)
            with self._lock:
                self._pairs.add(pair)
            threading.Thread(target=self._pump, args=(client, upstream, pair), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, pair), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, pair) -> None:
        """Copy one direction of a connection until either side closes."""
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        self._drop(pair)

    def _drop(self, pair) -> None:
        """Close both sides of a connection."""
        with self._lock:
            self._pairs.discard(pair)
        for sock in pair:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def cut(self) -> None:
        """The database becomes unreachable: open connections are dropped, new ones closed on arrival."""
        self.down = True
        with self._lock:
            pairs = list(self._pairs)
        for pair in pairs:
            self._drop(pair)

    def restore(self) -> None:
        """The database is reachable again."""
        self.down = False

    def close(self) -> None:
        """Stop listening and drop everything."""
        self._running = False
        self.cut()
        self._listener.close()
