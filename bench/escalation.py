"""Benchmark 3 — escalation latency: an urgent alert's signed webhook in → the first officer notification received
by the fake provider (Twilio REST), on the real stack: gunicorn (2 workers), 2 RQ workers, Redis, the database.

200 one-shot urgent alerts (`ALERTE 3 <token> …`), each from a different leader of the 10,000-contact directory,
one every --interval seconds (open loop). Each alert's token is in the description the officer's SMS quotes, so the
fake's log tells when the district's duty officer was paged for it. Target: p99 ≤ 250 ms. Peak RSS of the web
and RQ workers is sampled. `--variant fork|simple|preload` starts the RQ workers as bench/worker_variant.py does
(a fork per job as before b05b0a1; jobs in the worker process; twilio imported before forking).

    python -m bench.escalation --db postgres
"""

from __future__ import annotations

import argparse
import signal
import time

from bench.common import BENCH, RssSampler, children, free_port, percentile, pyspy, record, verdict
from bench.gen_directory import generate
from bench.load import post, sign
from bench.stack import Stack, fake_log, import_directory, start_fake, start_web, start_workers, web_workers

VARIANTS = {"shipped": None, "fork": ["--fork"], "preload": ["--preload"], "simple": ["--simple"]}
TEXT = "ALERTE 3 {token} des hommes armes ont encercle le village, les habitants fuient"


def officers_by_district(rows: list[dict]) -> dict[str, str]:
    """The level-1 duty officer's phone of each district."""
    return {r["district"]: r["phone"] for r in rows if r["role"] == "officer" and r["escalation_level"] == "1"}


def send_alerts(port: int, token: str, account: str, leaders: list[dict], interval: float) -> list[dict]:
    """Post one urgent alert per leader on a fixed schedule; when each was sent and how the webhook answered."""
    sent, start = [], time.time() + 0.5
    for i, leader in enumerate(leaders):
        tag = f"bench{i:04d}x"
        hook = sign(token, account, leader["phone"], TEXT.format(token=tag))
        time.sleep(max(0.0, start + i * interval - time.time()))
        t0 = time.time()
        status = post(port, hook)
        sent.append(
            {
                "tag": tag,
                "district": leader["district"],
                "at": t0,
                "webhook_ms": (time.time() - t0) * 1000,
                "status": status,
            }
        )
    return sent


def match(sent: list[dict], officers: dict[str, str], log: list[list]) -> list[float]:
    """Milliseconds from each alert's webhook to the first SMS to its district's officer quoting its tag."""
    first: dict[str, float] = {}
    for at, _, to, body in log:
        for item in sent:
            if item["tag"] in (body or "") and to == officers[item["district"]] and item["tag"] not in first:
                first[item["tag"]] = at
    return [(first[s["tag"]] - s["at"]) * 1000 for s in sent if s["tag"] in first]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--interval", type=float, default=0.25, help="seconds between alerts")
    parser.add_argument("--variant", choices=VARIANTS, default="shipped", help="RQ worker (worker_variant.py)")
    parser.add_argument("--profile", action="store_true", help="py-spy the first RQ worker and its work-horses")
    args = parser.parse_args()
    (BENCH / "profiles").mkdir(exist_ok=True)
    stack = Stack(args.db, "escalation")
    try:
        stack.reset()
        rows = generate(10_000)
        import_directory(stack, rows)
        officers = officers_by_district(rows)
        leaders = [r for r in rows if r["role"] == "leader"][: args.alerts]
        fake = start_fake(stack)
        env = stack.env(TWILIO_API_BASE_URL=fake)
        port = free_port()
        web = start_web(stack, port, 2, env)
        workers = start_workers(stack, 2, env, VARIANTS[args.variant])
        sampler = RssSampler(
            {
                "web worker": lambda: web_workers(web),
                "rq worker": lambda: [w.pid for w in workers],
                "rq work-horse": lambda: [c for w in workers for c in children(w.pid)],
            }
        )
        sampler.start()
        for warm in generate(20, seed=9)[-3:]:  # unknown numbers: warms the web workers, pages nobody
            post(port, sign(stack.auth_token, stack.account_sid, warm["phone"], "bonjour"))
        seconds = int(args.alerts * args.interval) + 30
        spy = pyspy(workers[0].pid, BENCH / "profiles" / f"escalation-{args.db}.txt", seconds) if args.profile else None
        sent = send_alerts(port, stack.auth_token, stack.account_sid, leaders, args.interval)
        deadline = time.time() + 30
        latencies = match(sent, officers, fake_log(fake))
        while len(latencies) < len(sent) and time.time() < deadline:
            time.sleep(1)
            latencies = match(sent, officers, fake_log(fake))
        peaks = sampler.stop()
        if spy:
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
    finally:
        stack.stop_all()

    p = {q: percentile(latencies, q) for q in (50, 95, 99)}
    hooks = [s["webhook_ms"] for s in sent]
    bad = sum(s["status"] != 200 for s in sent)
    rows_out = [
        (
            f"alerts sent (one every {args.interval:g} s) / officer SMS received",
            f"{len(sent)} / {len(latencies)}",
            "all",
            verdict(len(latencies) == len(sent) and not bad),
        ),
        (
            "webhook → first officer SMS at the fake: p50 / p95 / p99",
            f"{p[50]:.0f} / {p[95]:.0f} / {p[99]:.0f} ms",
            "p99 ≤ 250 ms",
            verdict(bool(latencies) and p[99] <= 250),
        ),
        ("— max", f"{max(latencies, default=0):.0f} ms", "", ""),
        ("webhook answer time p50 / p99", f"{percentile(hooks, 50):.0f} / {percentile(hooks, 99):.0f} ms", "", ""),
        (
            "peak RSS web worker (VmHWM)",
            f"{peaks['web worker']:.0f} MB",
            "≤ 120 MB",
            verdict(peaks["web worker"] <= 120),
        ),
        (
            "peak RSS RQ worker / its children: scheduler, work-horses (VmHWM)",
            f"{peaks['rq worker']:.0f} / {peaks['rq work-horse']:.0f} MB",
            "≤ 150 MB",
            verdict(peaks["rq worker"] <= 150),
        ),
    ]
    kind = {
        "shipped": "`gateway worker` as shipped",
        "fork": "worker_variant.py --fork (fork per job, the product before b05b0a1)",
        "preload": "worker_variant.py --preload (twilio imported before forking)",
        "simple": "worker_variant.py --simple (jobs in the worker process)",
    }[args.variant]
    notes = f"Database: {args.db}. RQ workers: 2 × {kind}."
    record(f"Escalation latency ({args.db}, {args.variant})", rows_out, notes)


if __name__ == "__main__":
    main()
