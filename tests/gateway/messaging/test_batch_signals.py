"""The channel-health notes of a batch job (gateway.messaging.channel_signals.BatchSignals) on the real test Redis:
a failure is written at once and counted each time, the first answer after it at once, further answers at most once
a second, and the newest answer kept meanwhile is written at the end of the batch. Times are given, never waited."""

from __future__ import annotations

import pytest

from bots.base import SendOutcome, SendResult
from gateway.messaging.channel_signals import ANSWER_REFRESH_SECONDS, BatchSignals, read_signal

SENT = SendResult(SendOutcome.SENT, provider_id="SM1")
DOWN = SendResult(SendOutcome.RETRY, error_code="20500")
T0 = 1_800_000_000.0


@pytest.mark.parametrize(
    ("steps", "before_flush", "after_flush"),
    [
        # (seconds after T0, result) … → (answered_at, failed_at, failures in a row) before and after the flush
        ([(0.0, SENT)], (T0, None, 0), (T0, None, 0)),
        ([(0.0, SENT), (0.4, SENT), (0.8, SENT)], (T0, None, 0), (T0 + 0.8, None, 0)),
        ([(0.0, SENT), (0.5, SENT), (ANSWER_REFRESH_SECONDS, SENT)], (T0 + 1.0, None, 0), (T0 + 1.0, None, 0)),
        ([(0.0, DOWN), (0.1, DOWN), (0.2, DOWN)], (None, T0 + 0.2, 3), (None, T0 + 0.2, 3)),
        ([(0.0, SENT), (0.1, DOWN), (0.2, SENT)], (T0 + 0.2, T0 + 0.1, 0), (T0 + 0.2, T0 + 0.1, 0)),
        # an answer kept, then a failure: the failure is newer, and the kept answer is not written after it
        ([(0.0, SENT), (0.3, SENT), (0.6, DOWN)], (T0, T0 + 0.6, 1), (T0, T0 + 0.6, 1)),
    ],
    ids=[
        "one-answer",
        "answers-kept-then-flushed",
        "refreshed-after-a-second",
        "failures-each-counted",
        "answer-after-failure-at-once",
        "failure-not-overwritten",
    ],
)
def test_what_the_console_reads_during_and_after_a_batch(redis_client, steps, before_flush, after_flush):
    signals = BatchSignals(redis_client)
    for offset, result in steps:
        signals.note("twilio", result, now=T0 + offset)

    def seen():
        signal = read_signal(redis_client, "twilio")
        return (signal.answered_at, signal.failed_at, signal.failures_in_a_row)

    assert seen() == before_flush
    signals.flush()
    assert seen() == after_flush
    signals.flush()  # nothing kept twice
    assert seen() == after_flush


def test_each_channel_is_noted_on_its_own(redis_client):
    signals = BatchSignals(redis_client)
    signals.note("twilio", SENT, now=T0)
    signals.note("android", SENT, now=T0 + 0.1)
    signals.note("twilio", SENT, now=T0 + 0.2)
    assert read_signal(redis_client, "android").answered_at == T0 + 0.1
    assert read_signal(redis_client, "twilio").answered_at == T0
    signals.flush()
    assert read_signal(redis_client, "twilio").answered_at == T0 + 0.2
