"""Benchmark 2 — fan-out of a meeting notice to a district of 10,000 leaders, and paced sending.

A. persist and enqueue: `gateway.meetings.service.create_meeting` in one transaction for a district of 10,000
   leaders (10,000 outbox rows, one RQ job each after the commit); wall time split into building the rows, the
   commit, and the after-commit enqueues. Target ≤ 2 s.
B. send throughput: 2 RQ workers (`gateway worker`, a forked work-horse per job) against the zero-latency fake
   Twilio, for up to --send-window seconds; then the rest with 2 workers that run jobs in-process (RQ's
   SimpleWorker way, bench/worker_variant.py --simple) to show what the fork costs. Target ≥ 1,000 messages/s.
C. pacing: the Android channel (SMS_CHANNEL=android) against a fake phone, a notice to 300 leaders, 2 workers.
   Android's cap makes ANDROID_SEGMENTS_PER_MINUTE ≤ 30, so the run scales time instead: the pacing window is
   --pace-window seconds (60 = real time) and the budget ANDROID_SEGMENTS_PER_MINUTE segments per window.
   Figures: segments per window achieved (target ≥ 95 % of the limit) and the busiest sliding window (never above).
Peak RSS of the RQ workers is sampled during B and C.

    python -m bench.fanout --db postgres                       # all three parts
    python -m bench.fanout --db sqlite --parts pacing --pace-window 60 --pace-duration 300   # pacing in real time
"""

from __future__ import annotations

import argparse
import os
import signal
import time
from datetime import timedelta

from bench.common import BENCH, RssSampler, children, pyspy, record, verdict
from bench.gen_directory import generate
from bench.stack import Stack, fake_log, import_directory, outbox_left, start_fake, start_workers


def runtime_for(stack: Stack, **env):
    """A gateway runtime in this process, configured like the stack's processes."""
    from gateway.config import load_settings
    from gateway.runtime import build_runtime, set_process_runtime

    runtime = build_runtime(load_settings(stack.env(**env)))
    set_process_runtime(runtime)
    return runtime


def create_notice(runtime, district_code: str, profile: str | None = None) -> dict:
    """create_meeting for the district in one transaction; seconds spent building, committing, enqueueing."""
    from sqlalchemy import select

    import gateway.outbox as outbox
    from gateway.meetings.service import create_meeting
    from gateway.models import District, utcnow

    spent = {"enqueue": 0.0}
    original = outbox.enqueue_send

    def timed_enqueue(*args, **kwargs):  # bench-only instrumentation of the after-commit hook
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent["enqueue"] += time.perf_counter() - start

    outbox.enqueue_send = timed_enqueue
    spy = pyspy(os.getpid(), BENCH / "profiles" / profile, 60, subprocesses=False) if profile else None
    if spy:
        time.sleep(1)
    try:
        t0 = time.perf_counter()
        with runtime.db.transaction() as session:
            district = session.scalar(select(District).where(District.code == district_code))
            summary = create_meeting(
                session,
                runtime,
                district=district,
                starts_at=utcnow() + timedelta(days=3),
                place="Mairie de Koro",
                agenda="Transhumance",
            )
            t1 = time.perf_counter()
        t2 = time.perf_counter()
    finally:
        outbox.enqueue_send = original
        if spy:
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
    return {
        "invitees": summary.invitees,
        "build": t1 - t0,
        "commit": t2 - t1 - spent["enqueue"],
        "enqueue": spent["enqueue"],
        "total": t2 - t0,
    }


def send_phase(stack: Stack, env: dict, fake: str, window: int, variant, sampler_roles: dict, profile: str | None):
    """Run 2 workers until the outbox is empty or `window` seconds pass; (messages, seconds, rate)."""
    before = len(fake_log(fake))
    workers = start_workers(stack, 2, env, variant)
    sampler_roles["workers"] = workers
    spy = pyspy(workers[0].pid, BENCH / "profiles" / profile, window) if profile else None
    deadline = time.monotonic() + window
    while time.monotonic() < deadline and outbox_left(stack):
        time.sleep(0.5)
    log = fake_log(fake, before)
    for worker in workers:
        worker.stop()
    if spy:
        spy.wait(60)
    if len(log) < 2:
        return len(log), 0.0, 0.0
    seconds = log[-1][0] - log[0][0]
    return len(log), seconds, (len(log) - 1) / seconds if seconds else 0.0


def pacing_phase(args) -> dict:
    """A notice to 300 leaders through the fake phone, paced; the phone's view of the segments it got."""
    from gateway.sms_text import count_segments

    stack = Stack(args.db, "pacing")
    try:
        stack.reset()
        import_directory(stack, generate(leaders=300, districts=["BANKASS"], seed=5))
        fake = start_fake(stack)
        env = stack.env(
            SMS_CHANNEL="android",
            ANDROID_GATEWAY_URL=fake,
            ANDROID_GATEWAY_USER="sms",
            ANDROID_GATEWAY_PASSWORD="pw",
            ANDROID_GATEWAY_SIGNING_KEY="key",
            ANDROID_SEGMENTS_PER_MINUTE=str(args.pace_limit),
            ANDROID_URGENT_HEADROOM="5",
        )
        runtime = runtime_for(stack, **{k: env[k] for k in env if k.startswith(("ANDROID_", "SMS_"))})
        create_notice(runtime, "BANKASS")
        runtime.close()
        workers = start_workers(stack, 2, env, ["--pace-window", str(args.pace_window)])
        sampler = RssSampler({"rq worker": lambda: [w.pid for w in workers]})
        sampler.start()
        time.sleep(args.pace_duration)
        log = [
            (t, count_segments(body or "").segments) for t, channel, _, body in fake_log(fake) if channel == "android"
        ]
        peak = sampler.stop()["rq worker"]
    finally:
        stack.stop_all()
    window, limit = args.pace_window, args.pace_limit
    start = log[0][0] if log else 0.0
    busiest = max((sum(s for t, s in log if t0 <= t < t0 + window) for t0, _ in log), default=0)
    full = int((log[-1][0] - start) // window) if log else 0
    in_full = sum(s for t, s in log if t < start + full * window)
    return {
        "messages": len(log),
        "segments": sum(s for _, s in log),
        "busiest": busiest,
        "windows": full,
        "per_window": in_full / full if full else 0.0,
        "limit": limit,
        "peak_rss": peak,
    }


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
        profile = f"fanout-send-fork-{args.db}.txt" if args.profile else None
        fork = send_phase(stack, env, fake, args.send_window, None, roles, profile)
        profile = f"fanout-send-simple-{args.db}.txt" if args.profile else None
        simple = send_phase(stack, env, fake, args.send_window, ["--simple"], roles, profile)
        peaks = sampler.stop()
        rows += [
            (
                "send: 2 × `gateway worker` (fork per job), zero-latency fake",
                f"{fork[2]:.1f} msg/s ({fork[0]} in {fork[1]:.1f} s)",
                "≥ 1,000 msg/s",
                verdict(fork[2] >= 1000),
            ),
            (
                "send: 2 × the same worker without fork (worker_variant.py --simple)",
                f"{simple[2]:.1f} msg/s ({simple[0]} in {simple[1]:.1f} s)",
                "≥ 1,000 msg/s",
                verdict(simple[2] >= 1000),
            ),
            ("outbox rows left unsent after both phases", str(outbox_left(stack)), "", ""),
            (
                "peak RSS RQ worker / work-horse (VmHWM)",
                f"{peaks['rq worker']:.0f} / {peaks['rq work-horse']:.0f} MB",
                "≤ 150 MB",
                verdict(peaks["rq worker"] <= 150),
            ),
        ]
        return rows
    finally:
        stack.stop_all()


def pacing_rows(args) -> list[tuple]:
    """Part C as table rows."""
    pace = pacing_phase(args)
    share = pace["per_window"] / pace["limit"] if pace["limit"] else 0
    window = f"{args.pace_window:g} s"
    return [
        (
            f"pacing: segments per {window} window (limit {pace['limit']}), {pace['windows']} full windows",
            f"{pace['per_window']:.1f} ({share:.0%} of the limit)",
            "≥ 95 %",
            verdict(share >= 0.95),
        ),
        (
            f"pacing: busiest sliding {window} window, as the phone saw it",
            f"{pace['busiest']} segments",
            f"≤ {pace['limit']}",
            verdict(pace["busiest"] <= pace["limit"]),
        ),
        ("pacing: messages / segments the phone got", f"{pace['messages']} / {pace['segments']}", "", ""),
        ("pacing: peak RSS RQ worker", f"{pace['peak_rss']:.0f} MB", "≤ 150 MB", verdict(pace["peak_rss"] <= 150)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--parts", default="persist,send,pacing", help="comma-separated: persist, send, pacing")
    parser.add_argument("--leaders", type=int, default=10_000)
    parser.add_argument("--send-window", type=int, default=60, help="max seconds of each send phase")
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
