"""Benchmark 1 — inbound throughput and latency of signed Twilio webhooks, against a minimal baseline app.

In one run, on a fresh database holding a directory of 10,000 contacts:
1. the baseline (bench/minimal_app.py: verify the signature, answer empty TwiML) under the Procfile's web command
   (gunicorn with gateway/web/webserver.py's worker class and threads, the access log), 2 workers;
2. the gateway under that same command: the same requests (the traffic mix of bench/load.py)
   from wrk at fixed concurrency; requests/s, p50/p95/p99, and the CPU of wrk, of the web workers and the machine;
3. the gateway at half the throughput it reached, open loop (fixed arrival rate): p50/p95/p99;
4. the inbound messages the load stored (handled by jobs) and the replies and escalations they queued, drained by
   2 RQ workers against the fake provider.
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
    start_procfile_web,
    start_workers,
    web_workers,
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--duration", type=int, default=20, help="seconds of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="alternating baseline/gateway wrk runs (median kept)")
    parser.add_argument("--concurrency", type=int, default=16, help="wrk connections")
    parser.add_argument("--half-duration", type=int, default=30, help="seconds of the open-loop half-load run")
    parser.add_argument("--requests", type=int, default=20_000, help="distinct signed requests for wrk")
    parser.add_argument("--rq-workers", type=int, default=0, help="RQ workers running during the load (default 0)")
    parser.add_argument("--drain-timeout", type=int, default=120, help="max seconds to drain the outbox after")
    parser.add_argument("--threads", type=int, help="gunicorn threads per worker, both apps (default: the Procfile's)")
    parser.add_argument("--profile", action="store_true", help="py-spy the web workers during the gateway run")
    return parser.parse_args()


def measured(port: int, hooks_file, args, pids: list[int], profile: str | None = None) -> dict:
    """One wrk run, with the CPU of the server's workers and of the whole machine (in cores) during it."""
    cpu0, mach0 = {pid: cpu_seconds(pid) for pid in pids}, machine_cpu()
    spy = pyspy(pids[0], BENCH / "profiles" / profile, args.duration) if profile else None
    figures = run_wrk(port, hooks_file, args.duration, args.concurrency)
    mach1 = machine_cpu()
    seconds = figures["duration_us"] / 1e6
    figures["server_cores"] = sum(cpu_seconds(pid) - cpu0[pid] for pid in pids) / seconds
    figures["machine_cores"] = busy_cores(mach0, mach1)
    if spy is not None:
        spy.wait(60)
    return figures


def median_run(runs: list[dict]) -> dict:
    """The run with the median throughput."""
    return sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]


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
        print(f"mix of {len(hooks)} requests: {counts(hooks)}")

        fake = start_fake(stack)
        env = stack.env(TWILIO_API_BASE_URL=fake)
        base_port, port = free_port(), free_port()
        minimal = start_minimal(stack, base_port, 2, args.threads)
        web = start_procfile_web(stack, port, 2, env, args.threads)
        workers = start_workers(stack, args.rq_workers, env) if args.rq_workers else []
        sampler = RssSampler(
            {
                "web worker": lambda: web_workers(web),
                "rq worker": lambda: [w.pid for w in workers],
                "rq work-horse": lambda: [c for w in workers for c in children(w.pid)],
            }
        )
        sampler.start()
        for hook in warm:
            post(base_port, hook)
            post(port, hook)
        bases, gws = [], []
        for i in range(args.rounds):  # alternate, so that both see the same background load of the machine
            chunk = hooks[i * len(hooks) // args.rounds : (i + 1) * len(hooks) // args.rounds]
            part = write_requests(chunk, stack.dir / f"requests-{i}.txt")
            bases.append(measured(base_port, part, args, web_workers(minimal)))
            profile = f"inbound-web-{args.db}.txt" if args.profile and i == 0 else None
            gws.append(measured(port, part, args, web_workers(web), profile))
            print(f"round {i + 1}: baseline {bases[-1]['rps']:.0f} req/s, gateway {gws[-1]['rps']:.0f} req/s")
        minimal.stop()
        rate = max(median_run(gws)["rps"] / 2, 1.0)
        half_hooks = mix(token, sid, leaders[7000:9500], int(rate * args.half_duration), seed=2)
        half = open_loop(port, half_hooks, rate)
        print(f"half load ({half['rate']:.1f} req/s): p50 / p95 / p99 {ms3(half)}")

        queued = outbox_left(stack)
        if not workers:
            workers += start_workers(stack, 2, env)
        drained = (queued, *drain(stack, args.drain_timeout))
        peaks = sampler.stop()
    finally:
        stack.stop_all()

    record(f"Inbound webhooks ({args.db})", result_rows(args, bases, gws, half, drained, peaks), notes(args, hooks))


def ms3(run: dict) -> str:
    """p50 / p95 / p99 of a run."""
    return f"{run['p50']:.1f} / {run['p95']:.1f} / {run['p99']:.1f} ms"


def cpu_ms(run: dict) -> float:
    """Milliseconds of the server workers' CPU per answered request."""
    return run["server_cores"] / run["rps"] * 1000 if run["rps"] else 0.0


def result_rows(args, bases: list[dict], gws: list[dict], half: dict, drained: tuple, peaks: dict) -> list[tuple]:
    """The results table."""
    base, gw = median_run(bases), median_run(gws)
    ratio = gw["rps"] / base["rps"] if base["rps"] else 0
    runs = lambda rs: ", ".join(f"{r['rps']:.0f}" for r in rs)  # noqa: E731
    cores = lambda rs: ", ".join(f"{r['server_cores']:.2f}/{r['machine_cores']:.2f}" for r in rs)  # noqa: E731
    half_bad = half["requests"] - half["statuses"].get(200, 0)
    errors = sum(r["errors"] for r in bases + gws) + half_bad
    queued, left, waited = drained
    c = f"c={args.concurrency}, {args.duration} s, median of {args.rounds}"
    return [
        (f"baseline (minimal app) throughput, {c}", f"{base['rps']:.0f} req/s (runs {runs(bases)})", "", ""),
        ("baseline latency p50 / p95 / p99 (median run)", ms3(base), "", ""),
        (f"gateway throughput, {c}", f"{gw['rps']:.0f} req/s (runs {runs(gws)})", "", ""),
        ("gateway / baseline", f"{ratio:.3f}×", "≥ 0.5×", verdict(ratio >= 0.5)),
        ("gateway latency p50 / p95 / p99 (median run)", ms3(gw), "", ""),
        ("gateway at half its throughput, open loop", f"{half['rate']:.1f} req/s for {args.half_duration} s", "", ""),
        ("gateway at half load p50 / p95 / p99", ms3(half), "p99 ≤ 25 ms", verdict(half["p99"] <= 25)),
        ("non-2xx answers or socket errors, all runs", str(errors), "0", verdict(errors == 0)),
        (
            "wrk CPU, baseline / gateway (median runs)",
            f"{base['cpu_share']:.0%} / {gw['cpu_share']:.0%} of a core",
            "",
            "",
        ),
        ("open-loop sender CPU", f"{half['cpu_share']:.0%} of a core", "", ""),
        (
            "server workers' CPU per request, baseline / gateway (median runs)",
            f"{cpu_ms(base):.2f} / {cpu_ms(gw):.2f} ms",
            "",
            "",
        ),
        ("server workers / whole machine busy, cores: baseline runs", cores(bases), "", ""),
        ("server workers / whole machine busy, cores: gateway runs", cores(gws), "", ""),
        (
            "work after the load (unhandled inbound + outbox) → drained by 2 RQ workers",
            f"{queued} rows, {waited:.0f} s ({left} left)",
            "",
            "",
        ),
        (
            "peak RSS web worker (VmHWM)",
            f"{peaks['web worker']:.0f} MB",
            "≤ 120 MB",
            verdict(peaks["web worker"] <= 120),
        ),
        ("peak RSS RQ worker (VmHWM)", f"{peaks['rq worker']:.0f} MB", "≤ 150 MB", verdict(peaks["rq worker"] <= 150)),
        (
            "peak RSS of RQ workers' children (scheduler; work-horses if forking)",
            f"{peaks['rq work-horse']:.0f} MB",
            "",
            "",
        ),
    ]


def notes(args, hooks) -> str:
    """The notes under the table."""
    text = (
        f"Mix sent to both: {counts(hooks)} (replays repeat an earlier request byte for byte). "
        f"RQ workers during the load: {args.rq_workers}. Database: {args.db}. Both apps under the Procfile's web "
        f"command, 2 workers, threads: {args.threads or 'as gateway/web/webserver.py sets them'}."
    )
    if args.profile:
        text += f" Profiled with py-spy (figures perturbed): bench/profiles/inbound-web-{args.db}.txt."
    return text


if __name__ == "__main__":
    main()
