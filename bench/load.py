"""Load generation for the inbound benchmarks: signed Twilio webhooks, the traffic mix, wrk and an open-loop sender.

The mix (by share of requests): one-shot alerts (`ALERTE 3 …`, `ALERTE 2 …`, `ALERTE …`), free text (untriaged
reports), guided-conversation steps (`ALERTE`, place, category, severity, description: five requests per
conversation) and replays (an earlier request sent again, byte for byte: Twilio retrying a webhook). A leader's
next message comes at least GAP requests after their previous one, so one sender never has two messages in
flight (as with real phones); replays are the exception on purpose.
"""

from __future__ import annotations

import http.client
import json
import random
import resource
import secrets
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from bench.common import BENCH, PUBLIC_BASE_URL, percentile
from bench.stack import FROM_NUMBER

PATH = "/webhooks/twilio/sms"
GAP = 200
MIX = {"oneshot": 25, "free_text": 35, "conversation": 30, "replay": 10}
FREE_TEXTS = (
    "Bonjour, des tensions au marché entre éleveurs et agriculteurs depuis hier",
    "Ce matin les jeunes bloquent la route du marché, les commerçants ont peur",
    "Hier soir une dispute au puits entre deux familles, le chef de village est intervenu",
    "Depuis deux jours les bergers peuls sont inquiets, des animaux ont disparu",
)
ONESHOTS = (
    "ALERTE 3 des hommes armés ont encerclé le village, les habitants fuient",
    "ALERTE 2 les jeunes et les gendarmes se disputent au marché",
    "ALERTE 1 réunion tendue au sujet du champ de Hamadoun",
    "ALERTE les déplacés de la nuit demandent de l'eau",
)
STEPS = (
    ("ALERTE",),
    ("1", "Marché au bétail", "Route de Mopti"),
    ("6", "1", "3", "5"),
    ("2", "2", "3"),
    ("Des coups de feu entendus près du marché, la population a peur",),
)


@dataclass(frozen=True)
class Webhook:
    """One signed inbound-SMS webhook: its form body (urlencoded), its signature, its kind and sender."""

    body: str
    signature: str
    kind: str
    phone: str
    sid: str


def sign(token: str, account_sid: str, phone: str, text: str, sid: str | None = None) -> Webhook:
    """The form Twilio posts for an inbound SMS, signed over the public URL with the auth token."""
    sid = sid or "SM" + secrets.token_hex(16)
    form = {
        "ToCountry": "US",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": text,
        "FromCountry": "ML",
        "To": FROM_NUMBER,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": phone,
        "ApiVersion": "2010-04-01",
    }
    signature = RequestValidator(token).compute_signature(PUBLIC_BASE_URL + PATH, form)
    return Webhook(urlencode(form), signature, "", phone, sid)


def mix(token: str, account_sid: str, phones: list[str], count: int, seed: int = 7) -> list[Webhook]:
    """`count` webhooks in the MIX proportions, from the given leaders' phones."""
    rng = random.Random(seed)
    kinds, weights = zip(*MIX.items(), strict=True)
    idle = list(phones)
    rng.shuffle(idle)
    busy: set[str] = set()
    last: dict[str, int] = {}
    waiting: list[tuple[int, str, int]] = []  # (due position, phone, next step)
    out: list[Webhook] = []

    def leader() -> str:
        for _ in range(len(idle)):
            phone = idle.pop(0)
            idle.append(phone)
            if phone not in busy and len(out) - last.get(phone, -GAP) >= GAP:
                return phone
        raise RuntimeError("not enough leaders for this many requests")

    def emit(phone: str, text: str, kind: str) -> None:
        hook = sign(token, account_sid, phone, text)
        out.append(Webhook(hook.body, hook.signature, kind, phone, hook.sid))
        last[phone] = len(out) - 1

    while len(out) < count:
        kind = rng.choices(kinds, weights)[0]
        if kind == "replay" and len(out) > GAP:
            original = out[rng.randrange(0, len(out) - GAP)]
            out.append(Webhook(original.body, original.signature, "replay", original.phone, original.sid))
        elif kind == "conversation" and waiting and waiting[0][0] <= len(out):
            _, phone, step = waiting.pop(0)
            emit(phone, rng.choice(STEPS[step]), "conversation")
            if step + 1 < len(STEPS):
                waiting.append((len(out) + GAP, phone, step + 1))
            else:
                busy.discard(phone)
        elif kind == "conversation":
            phone = leader()
            busy.add(phone)
            emit(phone, STEPS[0][0], "conversation")
            waiting.append((len(out) + GAP, phone, 1))
        elif kind == "oneshot":
            emit(leader(), rng.choice(ONESHOTS), "oneshot")
        else:
            emit(leader(), rng.choice(FREE_TEXTS), "free_text")
    return out


def write_requests(hooks: list[Webhook], path: Path) -> Path:
    """The file wrk_twilio.lua reads: `signature<TAB>body` per line."""
    path.write_text("".join(f"{h.signature}\t{h.body}\n" for h in hooks))
    return path


def run_wrk(port: int, requests_file: Path, seconds: int, connections: int, threads: int = 1) -> dict:
    """Run wrk at fixed concurrency; its figures (latencies in ms) and its own CPU use (share of one core)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    args = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(BENCH / "wrk_twilio.lua"),
        f"http://127.0.0.1:{port}",
        "--",
        PATH,
        str(requests_file),
    ]
    done = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {done.stdout}{done.stderr}")
    figures = json.loads(line[5:])
    seconds_run = figures["duration_us"] / 1e6
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    figures.update(
        rps=figures["requests"] / seconds_run,
        cpu_share=cpu / seconds_run,
        errors=sum(figures[k] for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")),
        **{k: figures[k] / 1000 for k in ("p50", "p95", "p99", "max", "mean")},
    )
    return figures


def post(port: int, hook: Webhook, timeout: float = 30) -> int:
    """Send one webhook; the HTTP status."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(
            "POST",
            PATH,
            hook.body,
            {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": hook.signature},
        )
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def open_loop(port: int, hooks: list[Webhook], rate: float, threads: int = 32) -> dict:
    """Send `hooks` at a fixed arrival rate (open loop, no coordinated omission: a latency counts from the
    request's scheduled time). Figures in ms, the achieved rate, and this sender's CPU share of one core."""
    start = time.monotonic() + 0.2
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock, cursor = threading.Lock(), iter(range(len(hooks)))

    def worker() -> None:
        while True:
            with lock:
                i = next(cursor, None)
            if i is None:
                return
            due = start + i / rate
            time.sleep(max(0.0, due - time.monotonic()))
            try:
                status = post(port, hooks[i])
            except OSError:
                status = 0
            elapsed = (time.monotonic() - due) * 1000
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1

    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    wall = time.monotonic() - start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    return {
        "requests": len(latencies),
        "rate": len(latencies) / wall,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
        "p99": percentile(latencies, 99),
        "max": max(latencies, default=0),
        "statuses": statuses,
        "cpu_share": cpu / wall,
    }


def counts(hooks: list[Webhook]) -> dict[str, int]:
    """How many of each kind."""
    found: dict[str, int] = {}
    for hook in hooks:
        found[hook.kind] = found.get(hook.kind, 0) + 1
    return found
