"""Bench-only launcher of the gateway's RQ worker, for what-if measurements the product has no switch for.

    python -m bench.worker_variant               # exactly `gateway worker`
    python -m bench.worker_variant --fork        # a forked work-horse per job (the product's worker before b05b0a1)
    python -m bench.worker_variant --simple      # jobs run in the worker process (RQ's SimpleWorker way: the product
                                                 # since b05b0a1)
    python -m bench.worker_variant --preload     # twilio's REST classes imported before any fork
    python -m bench.worker_variant --pace-window 6   # pacing's sliding window shortened from 60 s to 6 s

`--fork` and `--simple` show what the fork per job costs; `--preload` what it costs once work-horses stop importing
twilio's REST API (thousands of classes, imported lazily by `Client.api`) again for every job. `--pace-window`
scales pacing's time axis: the Redis script takes the window as an argument, so the product's own algorithm paces
`ANDROID_SEGMENTS_PER_MINUTE` (+ headroom) segments per window instead of per minute, and a pacing run takes
seconds instead of many minutes.
"""

from __future__ import annotations

import argparse

from rq.worker import SimpleWorker, Worker
from rq.worker.base import BaseWorker

from workers import pacing
from workers import worker as gateway_worker


class SimpleGatewayWorker(gateway_worker.GatewayWorker):
    """GatewayWorker (queues, scheduler, sweeps) executing each job in its own process, without forking."""

    execute_job = SimpleWorker.execute_job
    get_heartbeat_ttl = SimpleWorker.get_heartbeat_ttl


class ForkGatewayWorker(gateway_worker.GatewayWorker, Worker):
    """GatewayWorker forking a work-horse per job, as the product did before b05b0a1."""

    execute_job = Worker.execute_job
    get_heartbeat_ttl = BaseWorker.get_heartbeat_ttl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simple", action="store_true", help="run jobs in the worker process (no fork)")
    parser.add_argument("--fork", action="store_true", help="fork a work-horse per job (the product before b05b0a1)")
    parser.add_argument("--preload", action="store_true", help="import what jobs import before forking")
    parser.add_argument("--pace-window", type=float, help="pacing window in seconds instead of 60")
    args = parser.parse_args()
    if args.simple or args.fork:  # run_worker builds the class it finds here
        gateway_worker.GatewayWorker = SimpleGatewayWorker if args.simple else ForkGatewayWorker
    if args.preload:
        import twilio.rest.api.v2010.account  # noqa: F401 - what `Client.api` imports lazily in each work-horse

        import workers.escalation  # noqa: F401
        import workers.outbound  # noqa: F401
    if args.pace_window:
        pacing.WINDOW_SECONDS = args.pace_window
    from gateway.cli import cli_settings
    from gateway.core.runtime import build_runtime, set_process_runtime

    runtime = build_runtime(cli_settings(service=True))
    set_process_runtime(runtime)
    try:
        gateway_worker.run_worker(runtime)
    finally:
        runtime.close()


if __name__ == "__main__":
    main()
