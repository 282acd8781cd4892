"""Conversation state in Redis (one per contact, expiring after a TTL) and the per-contact processing lock."""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager

import redis

from flows.engine import State
from workers.queues import CONTACT_LOCK_KEY, CONVERSATION_KEY

# How long a message may hold a contact's lock, and how long the next one waits for it.
LOCK_SECONDS = 30
LOCK_WAIT_SECONDS = 20


class ContactBusy(RuntimeError):
    """Another message of the same contact is still being processed."""


def address_key(address: str) -> str:
    """A stable, non-reversible key for an address, so Redis keys never hold a phone number."""
    return hashlib.sha256(address.encode()).hexdigest()[:24]


class ConversationStore:
    """Load, save and clear the state of each contact's conversation."""

    def __init__(self, connection: redis.Redis, ttl_seconds: int) -> None:
        self.connection = connection
        self.ttl = ttl_seconds

    def load(self, contact_id: int) -> State | None:
        """The open conversation of a contact, if any."""
        raw = self.connection.get(f"{CONVERSATION_KEY}{contact_id}")
        return State.from_dict(json.loads(raw)) if raw else None

    def save(self, contact_id: int, state: State) -> None:
        """Store the state; it expires after the TTL without an answer."""
        self.connection.set(f"{CONVERSATION_KEY}{contact_id}", json.dumps(state.to_dict()), ex=self.ttl)

    def clear(self, contact_id: int) -> None:
        """End the contact's conversation."""
        self.connection.delete(f"{CONVERSATION_KEY}{contact_id}")

    @contextmanager
    def contact_lock(self, address: str):
        """Process one message of a sender at a time, in arrival order."""
        lock = self.connection.lock(
            f"{CONTACT_LOCK_KEY}{address_key(address)}", timeout=LOCK_SECONDS, blocking_timeout=LOCK_WAIT_SECONDS
        )
        if not lock.acquire():
            raise ContactBusy("sender is busy")
        try:
            yield
        finally:
            try:
                lock.release()
            except redis.exceptions.LockError:
                pass  # expired while we worked; the next message already went ahead
