"""The media store: files under the instance folder, named by a random key, never with the sender's name or type
(so nothing there can be run or guessed), and the type of a file read from its bytes."""

from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path

import puremagic

from gateway.media.keys import Store, StoreUnavailable, check_key

__all__ = ["KEPT_TYPES", "UNKNOWN", "MediaStore", "Store", "StoreUnavailable", "media_store", "new_key", "sniff"]

# Types kept, found in the bytes (data, not code). Anything else is refused and not written: an executable or a
# web page renamed `photo.jpg` is never stored, whatever the provider declared.
KEPT_TYPES = {
    "image/jpeg": "photo",
    "image/png": "photo",
    "image/gif": "photo",
    "image/webp": "photo",
    "image/heic": "photo",
    "audio/ogg": "audio",  # Telegram voice notes (Opus in Ogg)
    "audio/mpeg": "audio",
    "audio/mp4": "audio",
    "audio/amr": "audio",  # phones' MMS voice recordings
    "audio/wav": "audio",
    "video/mp4": "video",
    "video/3gpp": "video",
    "video/quicktime": "video",
    "video/webm": "video",
    "application/pdf": "document",
}
# puremagic's names for some of these, mapped to the ones above.
ALIASES = {
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/x-m4a": "audio/mp4",
    "audio/m4a": "audio/mp4",
    "audio/mp3": "audio/mpeg",
    "audio/x-amr": "audio/amr",
    "application/ogg": "audio/ogg",
    "audio/x-ogg": "audio/ogg",
    "video/ogg": "audio/ogg",
    "video/3gp": "video/3gpp",
    "video/x-m4v": "video/mp4",
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/heif": "image/heic",
    "application/x-pdf": "application/pdf",
}
UNKNOWN = "application/octet-stream"


def new_key() -> str:
    """A random storage key (256 bits): the file's name and its URL's part, never derived from anything known."""
    return secrets.token_urlsafe(32)


def sniff(content: bytes) -> str:
    """The content type the bytes themselves show (magic numbers), or `application/octet-stream`."""
    head = content[:8192]
    if head[:4] == b"OggS":  # puremagic may call Ogg a video; an Ogg from a phone or Telegram is a voice note
        return "audio/ogg"
    if head[:6] == b"#!AMR\n":
        return "audio/amr"
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return UNKNOWN
    for match in matches:
        mime = ALIASES.get(match.mime_type, match.mime_type)
        if mime in KEPT_TYPES:
            return mime
    return ALIASES.get(matches[0].mime_type, matches[0].mime_type) if matches and matches[0].mime_type else UNKNOWN


class MediaStore:
    """Files in one folder of the instance path, readable by the gateway's user only."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        """Where a key's file is; a key that is not one of ours (a path, dots) raises ValueError."""
        return self.root / check_key(key)

    def put(self, key: str, content: bytes) -> None:
        """Write a file atomically (a reader never sees half of it), without any execute bit."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        final = self.path(key)
        partial = final.with_name(f".{key}.part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, final)

    def read(self, key: str) -> bytes | None:
        """A file's bytes, or None when it is not there (never fetched, or purged)."""
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, ValueError):
            return None
        except OSError as exc:  # unreadable (permissions, a failing disk): not the same as absent
            raise StoreUnavailable(f"media folder: {type(exc).__name__}") from exc

    def delete(self, key: str) -> bool:
        """Remove a file; False when it was not there."""
        try:
            self.path(key).unlink()
        except (FileNotFoundError, ValueError):
            return False
        return True


# One S3 client per process and setting: building one reads botocore's service model (tens of milliseconds), and a
# client is thread-safe. Keyed by the process id too: an RQ work horse is a fork and must not share its parent's
# connections.
_s3_stores: dict[tuple, Store] = {}
_s3_lock = threading.Lock()


def media_store(settings) -> Store:
    """The deployment's media store: the S3-compatible bucket of MEDIA_STORE_URL when set, else the instance
    folder's `media/`. Both have put/read/delete by key."""
    bucket = getattr(settings, "media_store_bucket", None)
    if not bucket:
        return MediaStore(Path(settings.instance_path) / "media")
    # Imported here only: boto3 weighs tens of MB, and a deployment without MEDIA_STORE_URL never loads it.
    from gateway.media.s3_store import S3MediaStore

    key = (os.getpid(), bucket, settings.media_store_prefix, settings.media_store_endpoint,
           settings.media_store_region, settings.media_store_access_key, settings.media_store_secret_key)  # fmt: skip
    with _s3_lock:
        store = _s3_stores.get(key)
        if store is None:
            store = _s3_stores[key] = S3MediaStore.from_settings(settings)
    return store
