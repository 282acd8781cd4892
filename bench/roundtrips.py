"""Diagnostic for the profiles — what one webhook (by kind) and one send job cost in round trips and time.

In one process, without gunicorn or RQ: the gateway's own Flask app (create_app) takes signed webhooks through its
test client, one at a time, and `workers.outbound.send_message` sends the replies they queued to the fake provider.
For each kind: Redis round trips (a pipeline counts once), SQL statements, and the median wall time. Redis commands
are counted by wrapping redis-py's connection send, SQL statements with a SQLAlchemy engine event (bench-only
instrumentation; the product is unchanged).

    python -m bench.roundtrips --db postgres
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter

import redis
from sqlalchemy import event, select

from bench.common import record
from bench.gen_directory import generate
from bench.load import ONESHOTS, PATH, STEPS, sign
from bench.stack import Stack, import_directory, start_fake

COUNT = {"redis": 0, "sql": Counter()}
_send = redis.connection.AbstractConnection.send_packed_command


def counting_send(self, command, check_health=True):
    """redis-py's send, counted (one call per command or per pipeline)."""
    COUNT["redis"] += 1
    return _send(self, command, check_health)


def on_sql(_conn, _cursor, statement, *_args) -> None:
    """Count SQL statements by their first word."""
    COUNT["sql"][statement.lstrip().split(" ", 1)[0].upper()] += 1


def measure(action, repeat: int) -> tuple[float, float, dict, float]:
    """Run `action(i)` `repeat` times; mean Redis round trips, mean SQL statements, their kinds, median ms."""
    redis_total, sql_total, times = 0, Counter(), []
    for i in range(repeat):
        COUNT["redis"], COUNT["sql"] = 0, Counter()
        start = time.perf_counter()
        action(i)
        times.append((time.perf_counter() - start) * 1000)
        redis_total += COUNT["redis"]
        sql_total.update(COUNT["sql"])
    kinds = {k: round(v / repeat, 1) for k, v in sql_total.most_common()}
    return redis_total / repeat, sum(sql_total.values()) / repeat, kinds, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    stack = Stack(args.db, "roundtrips")
    try:
        stack.reset()
        rows = generate(2_000)
        import_directory(stack, rows)
        leaders = [r["phone"] for r in rows if r["role"] == "leader"]
        fake = start_fake(stack)
        from gateway.core.config import load_settings
        from gateway.models import Direction, Message, MessageStatus
        from gateway.web.app import create_app
        from workers.outbound import send_message

        app = create_app(load_settings(stack.env(TWILIO_API_BASE_URL=fake)))
        runtime = app.extensions["gateway"]
        event.listen(runtime.db.engine, "before_cursor_execute", on_sql)
        redis.connection.AbstractConnection.send_packed_command = counting_send
        client, n = app.test_client(), args.repeat
        pool = iter(leaders)
        sent: dict[int, object] = {}

        def webhook(text_for, phones=None):
            def action(i):
                hook = sign(stack.auth_token, stack.account_sid, (phones or {}).get(i) or next(pool), text_for(i))
                sent[i] = hook
                headers = {"X-Twilio-Signature": hook.signature}
                response = client.post(
                    PATH, data=hook.body, headers=headers, content_type="application/x-www-form-urlencoded"
                )
                assert response.status_code == 200, response.status_code

            return action

        def replay(i):
            hook = sent[i]
            client.post(
                PATH,
                data=hook.body,
                headers={"X-Twilio-Signature": hook.signature},
                content_type="application/x-www-form-urlencoded",
            )

        conversation = {i: next(pool) for i in range(n)}
        cases = [
            ("one-shot alert, severity 3 (pages the officer)", webhook(lambda i: ONESHOTS[0])),
            ("one-shot alert, severity 2", webhook(lambda i: ONESHOTS[1])),
            ("free text (untriaged report)", webhook(lambda i: "Ce matin les jeunes bloquent la route du marché")),
            ("replay of the previous webhooks", replay),
        ]
        for step, answers in enumerate(STEPS):
            cases.append(
                (f"conversation step {step + 1} ({answers[0][:12]})", webhook(lambda i, a=answers: a[0], conversation))
            )
        table = []
        for label, action in cases:
            r, s, kinds, ms = measure(action, n)
            table.append(
                (label, f"{r:.1f}", f"{s:.1f} ({', '.join(f'{k} {v:g}' for k, v in kinds.items())})", f"{ms:.1f} ms")
            )
        with runtime.db.transaction() as session:
            ids = session.scalars(
                select(Message.id).where(Message.direction == Direction.OUT, Message.status == MessageStatus.QUEUED)
            ).all()
        r, s, kinds, ms = measure(lambda i: send_message(ids[i]), min(n, len(ids)))
        table.append(
            (
                "send job (workers.outbound.send_message, in-process, no RQ)",
                f"{r:.1f}",
                f"{s:.1f} ({', '.join(f'{k} {v:g}' for k, v in kinds.items())})",
                f"{ms:.1f} ms",
            )
        )
        runtime.close()
    finally:
        redis.connection.AbstractConnection.send_packed_command = _send
        stack.stop_all()
    header = ("request (one at a time, in-process)", "Redis round trips", "SQL statements", "median wall time")
    record(f"Round trips per webhook and per send ({args.db})", table, f"Database: {args.db}.", header)


if __name__ == "__main__":
    main()
