"""A zero-latency fake of the providers the workers call, for benchmarks: one asyncio HTTP/1.1 server on 127.0.0.1.

- `POST /2010-04-01/Accounts/{sid}/Messages.json` (Twilio REST, form-encoded): 201 with a message resource;
- `POST /messages` (SMS Gateway for Android, local server, JSON): 202 with the message;
- `GET /health`: 200;  `GET /_log?from=N`: the requests received from index N, as JSON
  `[[epoch, channel, to, body], …]`;  `POST /_reset`: forget them.

It checks no credentials and never waits: the point is that it is not the bottleneck (it answers thousands of
requests a second on one core, keep-alive or not). Run: `python -m bench.fake_provider --port P` (prints `ready`);
`python -m bench.fake_provider --calibrate` measures its rate with wrk and records it in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import secrets
import time
from email.utils import formatdate
from urllib.parse import parse_qs, urlsplit

TWILIO_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json$")
LOG: list[list] = []
REASONS = {200: "OK", 201: "Created", 202: "Accepted", 404: "Not Found", 400: "Bad Request"}


def twilio_resource(account: str, form: dict[str, str]) -> dict:
    """A message resource as Twilio answers a create."""
    sid, now = "SM" + secrets.token_hex(16), formatdate(usegmt=True)
    return {
        "sid": sid,
        "account_sid": account,
        "to": form.get("To"),
        "from": form.get("From"),
        "body": form.get("Body"),
        "status": "queued",
        "direction": "outbound-api",
        "num_segments": "1",
        "num_media": "0",
        "price": None,
        "price_unit": "USD",
        "error_code": None,
        "error_message": None,
        "api_version": "2010-04-01",
        "date_created": now,
        "date_updated": now,
        "date_sent": None,
        "messaging_service_sid": None,
        "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
        "subresource_uris": {},
    }


def handle(method: str, target: str, body: bytes) -> tuple[int, object]:
    """Route one request; (status, JSON answer)."""
    parts = urlsplit(target)
    path, now = parts.path, time.time()
    if method == "POST" and (match := TWILIO_PATH.match(path)):
        form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        LOG.append([now, "twilio", form.get("To"), form.get("Body")])
        return 201, twilio_resource(match["account"], form)
    if method == "POST" and path in ("/messages", "/message"):
        data = json.loads(body or b"{}")
        to = (data.get("phoneNumbers") or [None])[0]
        text = (data.get("textMessage") or {}).get("text") or data.get("message")
        LOG.append([now, "android", to, text])
        recipients = [{"phoneNumber": to, "state": "Pending"}]
        return 202, {"id": data.get("id") or secrets.token_hex(8), "state": "Pending", "recipients": recipients}
    if method == "GET" and path == "/health":
        return 200, {"status": "pass"}
    if method == "GET" and path == "/_log":
        start = int(parse_qs(parts.query).get("from", ["0"])[0])
        return 200, LOG[start:]
    if method == "POST" and path == "/_reset":
        LOG.clear()
        return 200, {}
    return 404, {"message": "not found"}


class HttpProtocol(asyncio.Protocol):
    """Minimal HTTP/1.1: Content-Length bodies, keep-alive unless `Connection: close`."""

    def connection_made(self, transport) -> None:
        self.transport, self.buffer = transport, b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:])}
            length = int(headers.get("content-length") or 0)
            if len(self.buffer) < head_end + 4 + length:
                return
            body = self.buffer[head_end + 4 : head_end + 4 + length]
            self.buffer = self.buffer[head_end + 4 + length :]
            method, target, version = (head[0].split(" ") + ["", "", ""])[:3]
            try:
                status, answer = handle(method, target, body)
            except Exception as exc:  # noqa: BLE001 - a malformed request: say so, keep serving
                status, answer = 400, {"message": type(exc).__name__}
            close = headers.get("connection", "").lower() == "close" or version == "HTTP/1.0"
            payload = json.dumps(answer).encode()
            self.transport.write(
                f"HTTP/1.1 {status} {REASONS.get(status, 'OK')}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(payload)}\r\nConnection: {'close' if close else 'keep-alive'}\r\n\r\n".encode()
                + payload
            )
            if close:
                self.transport.close()
                return


async def serve(port: int) -> None:
    """Serve until killed."""
    server = await asyncio.get_running_loop().create_server(HttpProtocol, "127.0.0.1", port, backlog=1024)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


def calibrate(seconds: int = 10) -> None:
    """How many sends a second the fake answers (wrk, keep-alive as twilio's client), and its CPU meanwhile."""
    import os
    import subprocess
    import sys
    import tempfile

    from bench.common import cpu_seconds, free_port, record, wait_http

    port = free_port()
    fake = subprocess.Popen(
        [sys.executable, "-m", "bench.fake_provider", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/health")
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write(
                'wrk.method = "POST"\nwrk.body = "To=%2B22376123456&From=%2B15005550006&Body=Bonjour"\n'
                'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
            )
        cpu0 = cpu_seconds(fake.pid)
        out = subprocess.run(
            [
                "wrk",
                "-t1",
                "-c8",
                f"-d{seconds}s",
                "-s",
                lua.name,
                f"http://127.0.0.1:{port}/2010-04-01/Accounts/ACbench/Messages.json",
            ],
            capture_output=True,
            text=True,
        ).stdout
        cores = (cpu_seconds(fake.pid) - cpu0) / seconds
        os.unlink(lua.name)
    finally:
        fake.kill()
        fake.wait()
    rate = next((line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")), "?")
    record(
        "Fake provider calibration",
        [
            (
                "sends answered by the fake Twilio (wrk -c8, keep-alive)",
                f"{rate} req/s at {cores:.0%} of a core",
                "≫ 1,000 msg/s",
                "",
            )
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help="serve on this port of 127.0.0.1")
    parser.add_argument("--calibrate", action="store_true", help="measure how fast the fake answers, and exit")
    args = parser.parse_args()
    if args.calibrate:
        calibrate()
    elif args.port:
        asyncio.run(serve(args.port))
    else:
        parser.error("--port or --calibrate")


if __name__ == "__main__":
    main()
