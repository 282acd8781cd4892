"""The send path's baseline: a bare loop of twilio's own `Client.messages.create`, nothing else (no database, no
queue, no pacing, no bookkeeping), against the same zero-latency fake provider as the gateway's workers.

One process: one `twilio.rest.Client` (so its HTTP session and connection are reused, as the gateway's Twilio
channel does in bots/twilio_sms.py), pointed at the fake the same way (`client.api.base_url`); it waits until
`--start-at` (epoch seconds, so that every process of a run starts together, after its imports), then sends for
`--seconds` or `--count` messages, whichever ends first, and prints how many it sent and the CPU seconds the
loop used.

    python -m bench.bare_send --base-url http://127.0.0.1:P --account-sid AC… --auth-token T --seconds 15
"""

from __future__ import annotations

import argparse
import time


def bare_loop(client, to_numbers: list[str], from_: str, body: str, seconds: float, count: int) -> int:
    """Send until `seconds` pass or `count` messages went; how many went."""
    sent, deadline = 0, time.monotonic() + seconds
    while sent < count and time.monotonic() < deadline:
        client.messages.create(to=to_numbers[sent % len(to_numbers)], from_=from_, body=body)
        sent += 1
    return sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="the fake provider (TWILIO_API_BASE_URL of the gateway)")
    parser.add_argument("--account-sid", required=True)
    parser.add_argument("--auth-token", required=True)
    parser.add_argument("--from", dest="from_", default="+15005550006")
    parser.add_argument("--to", default="+22376000001", help="comma-separated numbers, used in turn")
    parser.add_argument("--body", default="Bonjour. Reunion du cadre de concertation de Koro.")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--count", type=int, default=10**9)
    parser.add_argument("--start-at", type=float, default=0.0, help="epoch seconds at which to start sending")
    args = parser.parse_args()

    from twilio.rest import Client

    client = Client(args.account_sid, args.auth_token)
    client.api.base_url = args.base_url
    client.api.v2010.account  # noqa: B018 - import twilio's lazily loaded REST classes before the clock starts
    time.sleep(max(args.start_at - time.time(), 0.0))
    cpu0 = time.process_time()
    sent = bare_loop(client, args.to.split(","), args.from_, args.body, args.seconds, args.count)
    print(f"sent {sent} cpu {time.process_time() - cpu0:.3f}", flush=True)


if __name__ == "__main__":
    main()
