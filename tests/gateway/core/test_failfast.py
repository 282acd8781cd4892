"""The web path's deadline and breakers: a call that hangs is abandoned in time, a dependency that just failed is
skipped for a while."""

from __future__ import annotations

import threading

import pytest

from gateway.core import failfast
from gateway.core.failfast import Breaker, DeadlineExceeded, DeadlinePool, run_within


def test_a_call_within_its_deadline_gives_its_result_or_its_error():
    assert run_within(5, lambda: 42) == 42
    with pytest.raises(ZeroDivisionError):
        run_within(5, lambda: 1 / 0)


def test_a_call_that_hangs_is_abandoned_and_may_finish_later():
    release, finished = threading.Event(), threading.Event()

    def hangs() -> str:
        release.wait(30)
        finished.set()
        return "late"

    with pytest.raises(DeadlineExceeded):
        run_within(0.05, hangs)
    assert not finished.is_set(), "the caller stopped waiting before the call ended"
    release.set()
    assert finished.wait(5), "the abandoned call still runs to its end"


def test_calls_in_a_row_reuse_one_thread_of_the_pool(monkeypatch):
    pool = DeadlinePool(size=4)
    monkeypatch.setattr(failfast, "POOL", pool)
    names = {run_within(5, lambda: threading.current_thread().ident) for _ in range(50)}
    assert len(names) == 1, "a webhook after another must not start a thread of its own"


def test_when_hung_calls_fill_the_pool_the_next_call_times_out_and_never_starts_late(monkeypatch):
    pool = DeadlinePool(size=2)
    monkeypatch.setattr(failfast, "POOL", pool)
    release, started = threading.Event(), []

    def hangs() -> None:
        started.append("hung")
        release.wait(30)

    for _ in range(2):
        with pytest.raises(DeadlineExceeded):
            run_within(0.05, hangs)
    with pytest.raises(DeadlineExceeded, match="no answer from the database within 0.05 s"):
        run_within(0.05, lambda: started.append("late"), name="database")
    release.set()
    assert run_within(5, lambda: "free again") == "free again"
    assert started == ["hung", "hung"], "a call whose caller gave up was run after all"


def test_a_breaker_skips_the_dependency_for_a_while_after_a_failure():
    now = [100.0]
    breaker = Breaker(open_seconds=5, clock=lambda: now[0])
    assert not breaker.is_open()
    breaker.trip()
    now[0] += 4.9
    assert breaker.is_open()
    now[0] += 0.2
    assert not breaker.is_open(), "tried again once the time is up"
    breaker.trip()
    breaker.reset()
    assert not breaker.is_open()
