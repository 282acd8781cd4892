"""What every media store shares: the shape of a storage key, and the error a store that cannot be reached raises."""

from __future__ import annotations

from typing import Protocol


class StoreUnavailable(RuntimeError):
    """The store could not be reached or refused the request (not: the file is absent). A media job that meets it
    fails and is tried again; the console answers 503."""


def check_key(key: str) -> str:
    """The key itself when it is one of ours (letters, digits, `-`, `_`); a path, dots or nothing raise ValueError."""
    if not key or not all(c.isalnum() or c in "-_" for c in key) or not key.isascii():
        raise ValueError("not a media key")
    return key


class Store(Protocol):
    """A media store: the instance folder (gateway.media.store) or an S3-compatible bucket (gateway.media.s3_store)."""

    def put(self, key: str, content: bytes) -> None:
        """Keep a file under its key (whole or not at all); raise StoreUnavailable when the store fails."""

    def read(self, key: str) -> bytes | None:
        """A file's bytes, or None when it is not there (or the key is not one of ours)."""

    def delete(self, key: str) -> bool:
        """Remove a file; False when it was not there."""
