"""Asking each configured provider, with a short timeout, whether it answers and accepts our credentials: Twilio's
account, Telegram's getWebhookInfo (pending updates, the last delivery error), the Android phone's health. The
probes run side by side under one deadline, so a provider that hangs costs `gateway status` seconds, not minutes."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from dataclasses import replace as replace_settings

import httpx
import requests

from gateway.core.config import Settings
from gateway.core.untrusted import for_terminal
from gateway.messaging.channels import build_channel

PROBE_TIMEOUT_SECONDS = 3.0  # per call to a provider
DEADLINE_SECONDS = 8.0  # for all of them together (a call may connect, then read: two timeouts)
TELEGRAM_PENDING_LIMIT = 100  # updates waiting at Telegram: the webhook (or the poller) is not taking them
TELEGRAM_ERROR_RECENT_SECONDS = 15 * 60  # a delivery error younger than this is current
PROBED = ("twilio", "telegram", "android")


@dataclass(frozen=True)
class Probe:
    """One provider's answer: reachable (True/False), a short line for the operator, and facts for JSON."""

    channel: str
    reachable: bool
    problem: str | None = None  # set when a person is needed
    summary: str = ""
    facts: dict = field(default_factory=dict)


def _twilio(settings: Settings) -> Probe:
    """Fetch our Twilio account: credentials accepted, account active."""
    url = f"{settings.twilio_api_base_url}/2010-04-01/Accounts/{settings.twilio_account_sid}.json"
    try:
        response = requests.get(
            url, auth=(settings.twilio_account_sid, settings.twilio_auth_token), timeout=PROBE_TIMEOUT_SECONDS
        )
    except requests.RequestException as exc:
        reason = f"Twilio does not answer ({type(exc).__name__})"
        return Probe("twilio", False, reason, reason)
    if response.status_code == 401:
        reason = "Twilio refuses our credentials: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN"
        return Probe("twilio", True, reason, reason)
    if response.status_code != 200:
        reason = f"Twilio answered HTTP {response.status_code} to the account check"
        return Probe("twilio", response.status_code < 500, reason, reason)
    try:
        status = str(response.json().get("status") or "unknown")
    except ValueError:
        status = "unknown"
    status = for_terminal(status)[:20]
    if status != "active":
        reason = f"the Twilio account is {status}: nothing can be sent"
        return Probe("twilio", True, reason, reason, {"account_status": status})
    return Probe("twilio", True, None, "account active, credentials accepted", {"account_status": status})


def _telegram(settings: Settings) -> Probe:
    """getWebhookInfo: the webhook set (or polling), updates waiting at Telegram, the last delivery error."""
    from telegram.error import InvalidToken, NetworkError, TelegramError

    channel = build_channel("telegram", settings)
    try:
        info = channel.call("get_webhook_info")
    except InvalidToken:
        reason = "Telegram refuses the bot token: check TELEGRAM_BOT_TOKEN"
        return Probe("telegram", True, reason, reason)
    except NetworkError as exc:  # timeouts and refused connections
        reason = f"Telegram does not answer ({type(exc).__name__})"
        return Probe("telegram", False, reason, reason)
    except TelegramError as exc:
        reason = f"Telegram refused getWebhookInfo ({type(exc).__name__})"
        return Probe("telegram", True, reason, reason)
    mode = "webhook" if info.url else "polling"
    pending = int(info.pending_update_count or 0)
    facts = {"mode": mode, "pending_updates": pending}
    problem = None
    if info.last_error_date is not None:
        age = time.time() - info.last_error_date.timestamp()
        facts["last_error_seconds_ago"] = round(max(age, 0))
        # Telegram's own words about reaching our webhook (a URL or a status line, never a leader's message).
        facts["last_error"] = for_terminal(info.last_error_message or "")[:120]
        if age < TELEGRAM_ERROR_RECENT_SECONDS:
            problem = (
                f"Telegram could not deliver updates to the webhook {round(age / 60)} min ago: {facts['last_error']}"
            )
    if problem is None and pending >= TELEGRAM_PENDING_LIMIT:
        problem = f"{pending} updates wait at Telegram: is the {'webhook' if info.url else 'poller'} running?"
    summary = f"{mode}, {pending} update(s) waiting at Telegram"
    return Probe("telegram", True, problem, summary, facts)


def _android(settings: Settings) -> Probe:
    """The phone's own health report, and whether it accepts our credentials."""
    channel = build_channel("android", settings)
    try:
        health = channel.health()
        accepted = channel.credentials_accepted()
    except httpx.HTTPError as exc:
        reason = f"the phone does not answer ({type(exc).__name__}): SMS wait and are retried"
        return Probe("android", False, reason, reason)
    state = for_terminal(str(health.get("status", "unknown")))[:20]
    if not accepted:
        reason = "the phone refuses our credentials: check ANDROID_GATEWAY_USER and ANDROID_GATEWAY_PASSWORD"
        return Probe("android", True, reason, reason, {"health": state})
    problem = None if state in ("pass", "ok", "unknown") else f"the phone reports its health as {state}"
    return Probe("android", True, problem, f"answers, health {state}", {"health": state})


_PROBES = {"twilio": _twilio, "telegram": _telegram, "android": _android}


def probe_all(settings: Settings, codes: list[str]) -> dict[str, Probe]:
    """Probe every configured provider among `codes` at once; one that has not answered by the deadline is
    reported as not answering."""
    quick = replace_settings(settings, provider_timeout_seconds=PROBE_TIMEOUT_SECONDS)
    wanted = [code for code in codes if code in _PROBES]
    if not wanted:
        return {}
    pool = ThreadPoolExecutor(max_workers=len(wanted), thread_name_prefix="probe")
    futures = {code: pool.submit(_PROBES[code], quick) for code in wanted}
    wait(futures.values(), timeout=DEADLINE_SECONDS)
    pool.shutdown(wait=False, cancel_futures=True)
    out = {}
    for code, future in futures.items():
        if not future.done():
            reason = f"{code} gave no answer within {DEADLINE_SECONDS:.0f} s"
            out[code] = Probe(code, False, reason, reason)
        elif future.exception() is not None:
            reason = f"{code} could not be checked ({type(future.exception()).__name__})"
            out[code] = Probe(code, False, reason, reason)
        else:
            out[code] = future.result()
    return out
