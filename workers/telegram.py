"""Telegram jobs that are not outbox messages: answering a pressed button."""

from __future__ import annotations

import logging

from telegram.error import TelegramError

from gateway.core.runtime import process_runtime

log = logging.getLogger(__name__)


def answer_callback(callback_id: str) -> str:
    """RQ job: acknowledge a button press so the user's app stops the spinner (best effort, never retried:
    Telegram only accepts an answer for a few seconds)."""
    channel = process_runtime().channels.get("telegram")
    if channel is None:
        return "telegram off"
    try:
        channel.answer_callback(callback_id)
    except TelegramError as exc:
        log.warning("could not answer a button press (%s)", type(exc).__name__)
        return "failed"
    return "answered"
