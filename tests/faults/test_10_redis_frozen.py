"""Case 10: the gateway's Redis frozen (SIGSTOP) for 30 s while 200 signed SMS webhooks arrive in parallel. A frozen
Redis accepts connections and takes commands, and answers nothing: the web process's short socket timeout and its
breaker must let every webhook store its message and answer 200 within 2 s; once Redis is thawed the sweep queues
the handling the webhooks could not, and every message gets exactly one reply."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from tests.faults import logscan
from tests.faults.freezes import (
    ANSWER_WITHIN_SECONDS,
    PrivateRedis,
    deliver_spread,
    settle_and_count,
    worker_serving,
)
from tests.faults.population import add_leaders
from tests.faults.providers import inbound_form

pytestmark = [pytest.mark.faults, pytest.mark.e2e]

CASE = 10
PHONES = 6  # the digit of this case's numbers (+2237<digit>…: one digit only, and case 6 sends no SMS)
MESSAGES, SENDERS = 200, 50
FREEZE_SECONDS, SPREAD_SECONDS = 30.0, 26.0


def report_text(index: int) -> str:
    """A leader's free-text report, unique, matching no keyword."""
    return f"Des hommes armes ont traverse le marche de Dinangourou ce matin, observation numero {index}"


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this case alone: freezing the shared one would freeze everybody's tests."""
    server = PrivateRedis(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def env(env, private_redis):
    """The gateway (and this process's runtime) on the private Redis."""
    return {**env, "REDIS_URL": private_redis.url}


@pytest.mark.timeout(300)
def test_webhooks_answer_within_2_s_while_redis_is_frozen(runtime, gateway, fake_twilio, private_redis, row):
    """10. Redis frozen (SIGSTOP) 30 s while 200 SMS webhooks arrive."""
    leaders = add_leaders(runtime, PHONES, SENDERS)
    forms = [inbound_form(fake_twilio.account_sid, leaders[i % SENDERS].phone, report_text(i)) for i in range(MESSAGES)]
    logscan.remember(phones=[c.phone for c in leaders], bodies=[f["Body"] for f in forms])
    base = gateway.web()
    worker_serving(gateway.worker())  # started, not starting: a worker that cannot reach Redis at start-up exits

    private_redis.freeze()
    frozen_at = time.monotonic()
    try:
        answers = deliver_spread(base, fake_twilio.auth_token, forms, frozen_at + 1, SPREAD_SECONDS)
        time.sleep(max(frozen_at + FREEZE_SECONDS - time.monotonic(), 0))
    finally:
        private_redis.thaw()
    outcome = settle_and_count(runtime, fake_twilio, forms, answers)

    statuses = Counter(a.status for a in answers)
    late = sum(a.seconds >= ANSWER_WITHIN_SECONDS for a in answers)
    sent_twice = sum(n - 1 for n in outcome.sent.values())
    row.set(
        sent=f"{MESSAGES} SMS webhooks during a {FREEZE_SECONDS:.0f} s SIGSTOP of Redis",
        stored=f"{outcome.stored} stored, {outcome.replies} replies, {len(outcome.sent)} sent; answers max "
        f"{outcome.slowest:.2f} s, p99 {outcome.p99:.2f} s",
        duplicates=outcome.stored_twice + sent_twice,
        lost=outcome.lost,
        five_xx=sum(n for s, n in statuses.items() if s != 200),
    )
    assert statuses == {200: MESSAGES}, f"answers: {statuses}"
    assert late == 0, f"{late} answers took {ANSWER_WITHIN_SECONDS} s or more (slowest {outcome.slowest:.2f} s)"
    assert outcome.lost == 0 and outcome.stored == MESSAGES, f"{outcome.stored} stored ({outcome.lost} lost)"
    assert outcome.stored_twice == 0, "a MessageSid was stored twice"
    assert outcome.replies == MESSAGES, f"{outcome.replies} replies for {MESSAGES} messages"
    assert len(outcome.sent) == MESSAGES, f"{MESSAGES - len(outcome.sent)} replies never reached the provider"
    assert sent_twice == 0, f"{sent_twice} replies sent twice"
