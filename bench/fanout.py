"""Benchmark 2 — fan-out of a meeting notice to a district of 10,000 leaders, and paced sending.

A. persist and enqueue: `gateway.meetings.service.create_meeting` in one transaction for a district of 10,000
   leaders (10,000 outbox rows, one RQ job each after the commit); wall time split into building the rows, the
   commit, and the after-commit enqueues. Target ≤ 2 s.
B. send throughput: 2 RQ workers (`python -m gateway worker`) against the zero-latency fake Twilio, for up to
   --send-window seconds; `--variants shipped,fork,simple,preload` adds phases with the what-if workers of
   bench/worker_variant.py (e.g. `fork`: a work-horse forked per job, as before b05b0a1). Target ≥ 1,000 msg/s.
C. pacing (bench/pacing.py): the Android channel against a fake phone, a notice to 300 leaders, 2 workers, the
   pacing window shortened to --pace-window seconds (60 = production); segments per window achieved (target
   ≥ 95 % of the limit) and the busiest sliding window (never above it).
Peak RSS of the RQ workers is sampled during B and C.

    python -m bench.fanout --db postgres                       # all three parts
    python -m bench.fanout --db sqlite --parts pacing --pace-window 60 --pace-duration 300   # pacing in real time
"""

from __future__ import annotations

import argparse
import time

from bench.common import BENCH, RssSampler, children, cpu_seconds, pyspy, record, verdict
from bench.gen_directory import generate
from bench.pacing import pacing_rows
from bench.stack import (
    Stack,
    create_notice,
    fake_log,
    import_directory,
    outbox_left,
    runtime_for,
    start_fake,
    start_workers,
)

VARIANTS = {
    "shipped": "`gateway worker` as shipped",
    "simple": "worker_variant.py --simple (jobs in the worker process)",
    "preload": "worker_variant.py --preload (twilio imported before any fork)",
    "fork": "worker_variant.py --fork (a forked work-horse per job, as before b05b0a1)",
}


def send_phase(stack: Stack, env: dict, fake: str, window: int, variant, sampler_roles: dict, profile: str | None):
    """Run 2 workers until the outbox is empty or `window` seconds pass; (messages, seconds, rate, the fake
    provider's CPU in cores: it must not be the bottleneck)."""
    before = len(fake_log(fake))
    fake_pid = next(p.pid for p in stack.procs if p.name == "fake-provider")
    cpu0, start = cpu_seconds(fake_pid), time.monotonic()
    workers = start_workers(stack, 2, env, variant)
    sampler_roles["workers"] = workers
    spy = pyspy(workers[0].pid, BENCH / "profiles" / profile, window) if profile else None
    deadline = time.monotonic() + window
    while time.monotonic() < deadline and outbox_left(stack):
        time.sleep(0.5)
    log = fake_log(fake, before)
    fake_cores = (cpu_seconds(fake_pid) - cpu0) / (time.monotonic() - start)
    for worker in workers:
        worker.stop()
    if spy:
        spy.wait(60)
    if len(log) < 2:
        return len(log), 0.0, 0.0, fake_cores
    seconds = log[-1][0] - log[0][0]
    return len(log), seconds, (len(log) - 1) / seconds if seconds else 0.0, fake_cores


def persist_and_send(args) -> list[tuple]:
    """Parts A and B on one stack: the notice to `--leaders` leaders, then the two send phases."""
    stack = Stack(args.db, "fanout")
    roles: dict = {"workers": []}
    horses = lambda: [c for w in roles["workers"] for c in children(w.pid)]  # noqa: E731
    sampler = RssSampler({"rq worker": lambda: [w.pid for w in roles["workers"]], "rq work-horse": horses})
    try:
        stack.reset()
        import_directory(stack, generate(leaders=args.leaders, districts=["KORO"]))
        fake = start_fake(stack)
        env = stack.env(TWILIO_API_BASE_URL=fake)
        runtime = runtime_for(stack, TWILIO_API_BASE_URL=fake)
        notice = create_notice(runtime, "KORO", f"fanout-enqueue-{args.db}.txt" if args.profile else None)
        runtime.close()
        split = f"{notice['build']:.2f} / {notice['commit']:.2f} / {notice['enqueue']:.2f} s"
        rows = [
            (
                f"persist + enqueue a notice to {notice['invitees']} leaders (create_meeting, one transaction)",
                f"{notice['total']:.2f} s",
                "≤ 2 s",
                verdict(notice["total"] <= 2),
            ),
            ("— of which: rows built and flushed / commit / after-commit enqueues", split, "", ""),
        ]
        print(rows)
        if "send" not in args.parts:
            return rows
        sampler.start()
        for variant in args.variants.split(","):
            launcher = None if variant == "shipped" else [f"--{variant}"]
            profile = f"fanout-send-{variant}-{args.db}.txt" if args.profile else None
            sent, seconds, rate, fake_cores = send_phase(stack, env, fake, args.send_window, launcher, roles, profile)
            rows.append(
                (
                    f"send: 2 × {VARIANTS[variant]}, zero-latency fake",
                    f"{rate:.1f} msg/s ({sent} in {seconds:.1f} s; fake provider CPU {fake_cores:.0%} of a core)",
                    "≥ 1,000 msg/s",
                    verdict(rate >= 1000),
                )
            )
        peaks = sampler.stop()
        rows += [
            ("outbox rows left unsent after the send phases", str(outbox_left(stack)), "", ""),
            (
                "peak RSS RQ worker / its children: scheduler, work-horses (VmHWM)",
                f"{peaks['rq worker']:.0f} / {peaks['rq work-horse']:.0f} MB",
                "≤ 150 MB",
                verdict(peaks["rq worker"] <= 150),
            ),
        ]
        return rows
    finally:
        stack.stop_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--parts", default="persist,send,pacing", help="comma-separated: persist, send, pacing")
    parser.add_argument("--leaders", type=int, default=10_000)
    parser.add_argument("--send-window", type=int, default=60, help="max seconds of each send phase")
    parser.add_argument("--variants", default="shipped", help="send phases, of: shipped, simple, preload, fork")
    parser.add_argument("--pace-window", type=float, default=6.0, help="pacing window in seconds (60 = real)")
    parser.add_argument("--pace-limit", type=int, default=20, help="ANDROID_SEGMENTS_PER_MINUTE (per window)")
    parser.add_argument("--pace-duration", type=int, default=66, help="seconds the paced workers run")
    parser.add_argument("--profile", action="store_true", help="py-spy the enqueue and the fork workers")
    args = parser.parse_args()
    args.parts = set(args.parts.split(","))
    (BENCH / "profiles").mkdir(exist_ok=True)
    rows = persist_and_send(args) if args.parts & {"persist", "send"} else []
    notes = f"Database: {args.db}."
    if "pacing" in args.parts:
        rows += pacing_rows(args)
        notes += f" Pacing window {args.pace_window:g} s (bench/worker_variant.py --pace-window; 60 = production)."
    record(f"Fan-out ({args.db})", rows, notes)


if __name__ == "__main__":
    main()
