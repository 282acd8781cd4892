"""Benchmark 1 — inbound throughput and latency of signed Twilio webhooks, against a minimal baseline app.

In one run, on a fresh database holding a directory of 10,000 contacts:
1. the baseline (bench/minimal_app.py: verify the signature, answer empty TwiML) under gunicorn, 2 sync workers;
2. the gateway, `python -m gateway web --port P --workers 2`: the same requests (the traffic mix of bench/load.py)
   from wrk at fixed concurrency; requests/s, p50/p95/p99, and the CPU of wrk, of the web workers and the machine;
3. the gateway at half the throughput it reached, open loop (fixed arrival rate): p50/p95/p99;
4. the replies and escalations the load queued, drained by 2 RQ workers against the fake provider.
Peak RSS (VmHWM) of the web workers and RQ workers is sampled throughout. Targets: gateway ≥ 0.5× baseline,
p99 ≤ 25 ms at half load, web worker ≤ 120 MB, RQ worker ≤ 150 MB.

    python -m bench.inbound --db sqlite            # or --db postgres; --profile adds a py-spy profile of the web
"""

from __future__ import annotations

import argparse
import time

from bench.common import (
    BENCH,
    RssSampler,
    busy_cores,
    children,
    cpu_seconds,
    free_port,
    machine_cpu,
    pyspy,
    record,
    verdict,
)
from bench.gen_directory import generate
from bench.load import counts, mix, open_loop, post, run_wrk, write_requests
from bench.stack import (
    Stack,
    import_directory,
    outbox_left,
    start_fake,
    start_minimal,
    start_web,
    start_workers,
    web_workers,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--duration", type=int, default=30, help="seconds of each wrk run")
    parser.add_argument("--concurrency", type=int, default=16, help="wrk connections")
    parser.add_argument("--half-duration", type=int, default=30, help="seconds of the open-loop half-load run")
    parser.add_argument("--requests", type=int, default=20_000, help="distinct signed requests for wrk")
    parser.add_argument("--rq-workers", type=int, default=0, help="RQ workers running during the load (default 0)")
    parser.add_argument("--drain-timeout", type=int, default=300, help="max seconds to drain the outbox after")
    parser.add_argument("--profile", action="store_true", help="py-spy the web workers during the gateway run")
    return parser.parse_args()


def measure_gateway(stack: Stack, args, hooks_file, warm, env) -> tuple[dict, dict, object]:
    """wrk against the gateway; (figures, CPU figures, web process)."""
    port = free_port()
    web = start_web(stack, port, 2, env)
    for hook in warm:
        post(port, hook)
    pids = web_workers(web)
    cpu0, mach0 = {pid: cpu_seconds(pid) for pid in pids}, machine_cpu()
    spy = pyspy(web.pid, BENCH / "profiles" / f"inbound-web-{args.db}.txt", args.duration) if args.profile else None
    figures = run_wrk(port, hooks_file, args.duration, args.concurrency)
    mach1 = machine_cpu()
    web_cpu = sum(cpu_seconds(pid) - cpu0[pid] for pid in pids) / (figures["duration_us"] / 1e6)
    if spy is not None:
        spy.wait(60)
    return figures, {"web_cores": web_cpu, "machine_cores": busy_cores(mach0, mach1), "port": port}, web


def drain(stack: Stack, timeout: int) -> tuple[int, float]:
    """Wait (bounded) until the outbox is empty; (rows left, seconds waited)."""
    start = time.monotonic()
    left = outbox_left(stack)
    while left and time.monotonic() - start < timeout:
        time.sleep(1)
        left = outbox_left(stack)
    return left, time.monotonic() - start


def main() -> None:
    args = parse_args()
    (BENCH / "profiles").mkdir(exist_ok=True)
    stack = Stack(args.db, "inbound")
    try:
        stack.reset()
        rows = generate(10_000)
        import_directory(stack, rows)
        leaders = [r["phone"] for r in rows if r["role"] == "leader"]
        token, sid = stack.auth_token, stack.account_sid
        hooks = mix(token, sid, leaders[:7000], args.requests, seed=1)
        warm = mix(token, sid, leaders[9500:], 40, seed=3)
        hooks_file = write_requests(hooks, stack.dir / "requests.txt")
        print(f"mix of {len(hooks)} requests: {counts(hooks)}")

        port = free_port()
        minimal = start_minimal(stack, port)
        for hook in warm[:20]:
            post(port, hook)
        base = run_wrk(port, hooks_file, args.duration, args.concurrency)
        minimal.stop()
        print(f"baseline: {base['rps']:.0f} req/s, p99 {base['p99']:.1f} ms")

        fake = start_fake(stack)
        env = stack.env(TWILIO_API_BASE_URL=fake)
        workers = start_workers(stack, args.rq_workers, env) if args.rq_workers else []
        roles = {
            "web worker": lambda: web_workers(web_proc[0]) if web_proc else [],
            "rq worker": lambda: [w.pid for w in workers],
            "rq work-horse": lambda: [c for w in workers for c in children(w.pid)],
        }
        web_proc: list = []
        sampler = RssSampler(roles)
        sampler.start()
        gw, cpu, web = measure_gateway(stack, args, hooks_file, warm, env)
        web_proc.append(web)
        print(f"gateway: {gw['rps']:.0f} req/s, p99 {gw['p99']:.1f} ms; web workers {cpu['web_cores']:.2f} cores")

        rate = max(gw["rps"] / 2, 1.0)
        half_hooks = mix(token, sid, leaders[7000:9500], int(rate * args.half_duration), seed=2)
        half = open_loop(cpu["port"], half_hooks, rate)
        print(
            f"half load ({half['rate']:.1f} req/s): p50 {half['p50']:.1f} p95 {half['p95']:.1f} p99 {half['p99']:.1f}"
        )

        queued = outbox_left(stack)
        if not workers:
            workers += start_workers(stack, 2, env)
        left, waited = drain(stack, args.drain_timeout)
        peaks = sampler.stop()
    finally:
        stack.stop_all()

    ratio = gw["rps"] / base["rps"] if base["rps"] else 0
    ok_200 = half["statuses"].get(200, 0) == half["requests"]
    rows_out = [
        (f"baseline (minimal app) throughput, c={args.concurrency}", f"{base['rps']:.0f} req/s", "", ""),
        ("baseline latency p50 / p95 / p99", f"{base['p50']:.1f} / {base['p95']:.1f} / {base['p99']:.1f} ms", "", ""),
        (f"gateway throughput, c={args.concurrency}", f"{gw['rps']:.0f} req/s", "", ""),
        ("gateway / baseline", f"{ratio:.2f}×", "≥ 0.5×", verdict(ratio >= 0.5)),
        ("gateway latency p50 / p95 / p99", f"{gw['p50']:.1f} / {gw['p95']:.1f} / {gw['p99']:.1f} ms", "", ""),
        ("gateway at half load: rate (open loop)", f"{half['rate']:.1f} req/s for {args.half_duration} s", "", ""),
        (
            "gateway at half load p50 / p95 / p99",
            f"{half['p50']:.1f} / {half['p95']:.1f} / {half['p99']:.1f} ms",
            "p99 ≤ 25 ms",
            verdict(half["p99"] <= 25),
        ),
        (
            "non-2xx or socket errors (baseline / gateway / half)",
            f"{base['errors']} / {gw['errors']} / {half['requests'] - half['statuses'].get(200, 0)}",
            "0",
            verdict(base["errors"] == gw["errors"] == 0 and ok_200),
        ),
        ("wrk CPU (baseline / gateway run)", f"{base['cpu_share']:.0%} / {gw['cpu_share']:.0%} of a core", "", ""),
        ("open-loop sender CPU", f"{half['cpu_share']:.0%} of a core", "", ""),
        (
            "gateway web workers CPU / machine busy (all users)",
            f"{cpu['web_cores']:.2f} / {cpu['machine_cores']:.2f}",
            "",
            "",
        ),
        ("requests completed by wrk vs distinct in file", f"{gw['requests']} / {len(hooks)}", "", ""),
        ("outbox after the load → drained by 2 RQ workers", f"{queued} rows in {waited:.1f} s ({left} left)", "", ""),
        (
            "peak RSS web worker (VmHWM)",
            f"{peaks['web worker']:.0f} MB",
            "≤ 120 MB",
            verdict(peaks["web worker"] <= 120),
        ),
        ("peak RSS RQ worker (VmHWM)", f"{peaks['rq worker']:.0f} MB", "≤ 150 MB", verdict(peaks["rq worker"] <= 150)),
        ("peak RSS RQ work-horse (forked child)", f"{peaks['rq work-horse']:.0f} MB", "", ""),
    ]
    notes = (
        f"Mix sent to both: {counts(hooks)} (replays repeat an earlier request byte for byte). "
        f"RQ workers during the load: {args.rq_workers}. Database: {args.db}."
    )
    if args.profile:
        notes += f" Profiled with py-spy (figures perturbed): bench/profiles/inbound-web-{args.db}.txt."
    record(f"Inbound webhooks ({args.db})", rows_out, notes)


if __name__ == "__main__":
    main()
