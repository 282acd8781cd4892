"""Benchmark 2 — fan-out of a meeting notice to a district of 10,000 leaders, and paced sending.

A. persist and enqueue: `gateway.meetings.service.create_meeting` in one transaction for a district of 10,000
   leaders (10,000 outbox rows, one RQ job each after the commit); wall time split into building the rows, the
   commit, and the after-commit enqueues. Target ≤ 2 s.
B. send throughput: --send-workers (2) RQ workers (`python -m gateway worker`) against the zero-latency fake
   Twilio for --send-window seconds, alternating --rounds (3) times with the baseline: as many processes each
   running a bare loop of twilio's `Client.messages.create` (bench/bare_send.py) against the same fake, for as
   long; medians kept. Targets ≥ 1,000 msg/s, and ≥ 0.8× the bare loop. `--variants shipped,fork,simple,preload`
   adds phases with the what-if workers of bench/worker_variant.py (e.g. `fork`: a work-horse forked per job, as
   before b05b0a1). A new notice is queued before a phase whenever fewer rows than --leaders are left.
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

from bench.common import BENCH, RssSampler, busy_cores, children, cpu_seconds, machine_cpu, pyspy, record, verdict
from bench.gen_directory import generate
from bench.pacing import pacing_rows
from bench.stack import (
    Stack,
    create_notice,
    fake_log,
    import_directory,
    outbox_left,
    queued_sample,
    runtime_for,
    start_bare_senders,
    start_fake,
    start_workers,
)

VARIANTS = {
    "shipped": "`gateway worker` as shipped",
    "simple": "worker_variant.py --simple (jobs in the worker process)",
    "preload": "worker_variant.py --preload (twilio imported before any fork)",
    "fork": "worker_variant.py --fork (a forked work-horse per job, as before b05b0a1)",
}


# How long a phase waits for the workers' first send (imports, registration) on a busy machine.
STARTUP_SECONDS = 60


def _rate(log: list[list]) -> tuple[int, float, float]:
    """(messages, seconds between the fake's first and last receipt, messages/s) of a phase's log."""
    if len(log) < 2:
        return len(log), 0.0, 0.0
    seconds = log[-1][0] - log[0][0]
    return len(log), seconds, (len(log) - 1) / seconds if seconds else 0.0


def send_phase(stack: Stack, env: dict, fake: str, args, variant, roles: dict, profile: str | None) -> dict:
    """Run `--send-workers` RQ workers until the outbox is empty or `--send-window` seconds pass: the messages, the
    seconds, the rate, and the CPU (in cores) of the workers, of the fake provider (it must not be the bottleneck)
    and of the whole machine."""
    before = len(fake_log(fake))
    fake_pid = next(p.pid for p in stack.procs if p.name == "fake-provider")
    cpu0, mach0, start = cpu_seconds(fake_pid), machine_cpu(), time.monotonic()
    workers = start_workers(stack, args.send_workers, env, variant)
    roles["workers"] = workers
    spy = pyspy(workers[0].pid, BENCH / "profiles" / profile, args.send_window) if profile else None
    pids = lambda: [w.pid for w in workers] + [c for w in workers for c in children(w.pid)]  # noqa: E731
    startup_deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < startup_deadline and len(fake_log(fake, before)) == 0:
        time.sleep(0.05)  # the window and the workers' CPU start at the first send: start-up is not the send path
    sending_cpu0, sending0 = sum(cpu_seconds(pid) for pid in pids()), time.monotonic()
    deadline = sending0 + args.send_window
    while time.monotonic() < deadline and outbox_left(stack):
        time.sleep(0.5)
    sender_cores = (sum(cpu_seconds(pid) for pid in pids()) - sending_cpu0) / max(time.monotonic() - sending0, 1e-9)
    log = fake_log(fake, before)
    elapsed = time.monotonic() - start
    fake_cores, machine_cores = (cpu_seconds(fake_pid) - cpu0) / elapsed, busy_cores(mach0, machine_cpu())
    for worker in workers:
        worker.stop()
    if spy:
        spy.wait(60)
    sent, seconds, rate = _rate(log)
    return dict(sent=sent, seconds=seconds, rate=rate, fake=fake_cores, cores=sender_cores, machine=machine_cores)


def bare_phase(stack: Stack, fake: str, args) -> dict:
    """The baseline: `--send-workers` processes each running a bare loop of twilio's `Client.messages.create` for
    `--send-window` seconds against the same fake, with the addresses and text of rows the gateway sends."""
    to_numbers, body = queued_sample(stack)
    before = len(fake_log(fake))
    fake_pid = next(p.pid for p in stack.procs if p.name == "fake-provider")
    cpu0, mach0, start = cpu_seconds(fake_pid), machine_cpu(), time.monotonic()
    procs = start_bare_senders(stack, args.send_workers, fake, args.send_window, to_numbers, body)
    for proc in procs:
        proc.popen.wait(args.send_window + 120)
    elapsed = time.monotonic() - start
    fake_cores, machine_cores = (cpu_seconds(fake_pid) - cpu0) / elapsed, busy_cores(mach0, machine_cpu())
    log = fake_log(fake, before)
    # Each process prints `sent N cpu S` (the CPU of its loop alone) as its last line.
    loop_cpu = sum(float(p.log.read_text().split()[-1]) for p in procs)
    sent, seconds, rate = _rate(log)
    return dict(sent=sent, seconds=seconds, rate=rate, fake=fake_cores, cores=loop_cpu / max(seconds, 1e-9),
                machine=machine_cores)  # fmt: skip


def median_run(runs: list[dict]) -> dict:
    """The run with the median rate."""
    return sorted(runs, key=lambda r: r["rate"])[len(runs) // 2]


def persist_and_send(args) -> list[tuple]:
    """Parts A and B on one stack: the notice to `--leaders` leaders, then the alternating send rounds."""
    stack = Stack(args.db, "fanout")
    roles: dict = {"workers": []}
    horses = lambda: [c for w in roles["workers"] for c in children(w.pid)]  # noqa: E731
    sampler = RssSampler({"rq worker": lambda: [w.pid for w in roles["workers"]], "rq work-horse": horses})
    runtime = None
    try:
        stack.reset()
        import_directory(stack, generate(leaders=args.leaders, districts=["KORO"]))
        fake = start_fake(stack)
        env = stack.env(TWILIO_API_BASE_URL=fake)
        runtime = runtime_for(stack, TWILIO_API_BASE_URL=fake)
        notice = create_notice(runtime, "KORO", f"fanout-enqueue-{args.db}.txt" if args.profile else None)
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
        variants = args.variants.split(",")
        bases: list[dict] = []
        gws: dict[str, list[dict]] = {v: [] for v in variants}
        for i in range(args.rounds):  # alternate, so that both see the same background load of the machine
            bases.append(bare_phase(stack, fake, args))
            print(f"round {i + 1}: bare twilio loop {bases[-1]['rate']:.0f} msg/s", flush=True)
            for variant in variants:
                if outbox_left(stack) < args.leaders:  # never let a phase run out of rows before its window ends
                    create_notice(runtime, "KORO")
                launcher = None if variant == "shipped" else [f"--{variant}"]
                profile = f"fanout-send-{variant}-{args.db}.txt" if args.profile and i == 0 else None
                gws[variant].append(send_phase(stack, env, fake, args, launcher, roles, profile))
                print(f"round {i + 1}: gateway {variant} {gws[variant][-1]['rate']:.0f} msg/s", flush=True)
        peaks = sampler.stop()
        rows += send_rows(args, bases, gws)
        rows += [
            (
                "outbox rows left unsent after the send phases (queued for the next round)",
                str(outbox_left(stack)),
                "",
                "",
            ),
            (
                "peak RSS RQ worker / its children: scheduler, work-horses (VmHWM)",
                f"{peaks['rq worker']:.0f} / {peaks['rq work-horse']:.0f} MB",
                "≤ 150 MB",
                verdict(peaks["rq worker"] <= 150),
            ),
        ]
        return rows
    finally:
        if runtime is not None:
            runtime.close()
        stack.stop_all()


def send_rows(args, bases: list[dict], gws: dict[str, list[dict]]) -> list[tuple]:
    """The send part's rows: the bare loop, each variant, and each variant's ratio to the bare loop."""
    n, w = args.send_workers, args.send_window
    runs = lambda rs: ", ".join(f"{r['rate']:.0f}" for r in rs)  # noqa: E731
    cores = lambda rs: ", ".join(f"{r['cores']:.2f}/{r['fake']:.2f}/{r['machine']:.2f}" for r in rs)  # noqa: E731
    base = median_run(bases)
    rows = [
        (
            f"send baseline: {n} × bare loop of twilio's `Client.messages.create`, zero-latency fake, {w} s, "
            f"median of {args.rounds}",
            f"{base['rate']:.1f} msg/s (runs {runs(bases)})",
            "",
            "",
        ),
        ("— baseline runs: senders / fake provider / whole machine busy, cores", cores(bases), "", ""),
    ]
    for variant, runs_of in gws.items():
        gw = median_run(runs_of)
        ratio = gw["rate"] / base["rate"] if base["rate"] else 0.0
        rows += [
            (
                f"send: {n} × {VARIANTS[variant]}, zero-latency fake, ≤ {w} s, median of {args.rounds}",
                f"{gw['rate']:.1f} msg/s (runs {runs(runs_of)}; median run {gw['sent']} in {gw['seconds']:.1f} s)",
                "≥ 1,000 msg/s",
                verdict(gw["rate"] >= 1000),
            ),
            (f"— {variant} runs: workers / fake provider / whole machine busy, cores", cores(runs_of), "", ""),
            (
                f"send {variant} / bare twilio loop (same run, medians)",
                f"{ratio:.3f}×",
                "≥ 0.8×",
                verdict(ratio >= 0.8),
            ),
        ]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--parts", default="persist,send,pacing", help="comma-separated: persist, send, pacing")
    parser.add_argument("--leaders", type=int, default=10_000)
    parser.add_argument("--send-window", type=int, default=15, help="seconds of each send phase (gateway: at most)")
    parser.add_argument("--send-workers", type=int, default=2, help="RQ workers, and bare-loop processes, per phase")
    parser.add_argument("--rounds", type=int, default=3, help="alternating bare-loop/gateway send rounds (median)")
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
