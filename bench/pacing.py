"""Part C of benchmark 2 (run by bench/fanout.py): pacing accuracy of the Android channel, which paces by SMS
segments (workers/pacing.py: a sliding window in Redis shared by every worker).

A notice to 300 leaders goes through a fake phone (SMS_CHANNEL=android) with 2 RQ workers. Android's cap makes
ANDROID_SEGMENTS_PER_MINUTE + ANDROID_URGENT_HEADROOM ≤ 30, so a high limit is not possible; instead the window is
shortened (--pace-window, via bench/worker_variant.py; 60 = production) and the limit applies per window. Measured:
segments per full window (target ≥ 95 % of the limit) and the busiest sliding window (never above the limit), both
from the pacing's own grant times (read from its Redis window) and from the phone's arrival times.
"""

from __future__ import annotations

import time

from bench.common import RssSampler, verdict
from bench.gen_directory import generate
from bench.stack import Stack, create_notice, fake_log, import_directory, runtime_for, start_fake, start_workers


def watch_grants(seconds: float) -> list[tuple[float, int]]:
    """Poll the pacing's Redis window (every 0.5 s, so no entry leaves unseen) for `seconds`: every grant made,
    as (time granted, segments): the product's own view, before the HTTP call to the phone."""
    import redis

    from bench.common import REDIS_URL
    from workers.queues import PACE_KEY

    connection, seen = redis.Redis.from_url(REDIS_URL), {}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for member, score in connection.zrange(PACE_KEY + "android", 0, -1, withscores=True):
            seen[member] = (score, int(member.decode().rsplit(":", 1)[1]))
        time.sleep(0.5)
    return sorted(seen.values())


def busiest_window(events: list[tuple[float, int]], window: float) -> int:
    """The most segments within any sliding window starting at an event."""
    return max((sum(n for t, n in events if t0 <= t < t0 + window) for t0, _ in events), default=0)


def pacing_phase(args) -> dict:
    """A notice to 300 leaders through the fake phone, paced; the phone's view of the segments it got."""
    from gateway.messaging.sms_text import count_segments

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
        grants = watch_grants(args.pace_duration)
        log = [
            (t, count_segments(body or "").segments) for t, channel, _, body in fake_log(fake) if channel == "android"
        ]
        peak = sampler.stop()["rq worker"]
    finally:
        stack.stop_all()
    window, limit = args.pace_window, args.pace_limit
    start = log[0][0] if log else 0.0
    busiest = busiest_window(log, window)
    full = int((log[-1][0] - start) // window) if log else 0
    in_full = sum(s for t, s in log if t < start + full * window)
    return {
        "messages": len(log),
        "segments": sum(s for _, s in log),
        "busiest": busiest,
        "busiest_granted": busiest_window(grants, window),
        "windows": full,
        "per_window": in_full / full if full else 0.0,
        "limit": limit,
        "peak_rss": peak,
    }


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
            f"pacing: busiest sliding {window} window, by the pacing's own grant times",
            f"{pace['busiest_granted']} segments",
            f"≤ {pace['limit']}",
            verdict(pace["busiest_granted"] <= pace["limit"]),
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
