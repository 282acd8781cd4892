"""MEDIA_STORE_URL and its companions, read and checked at start-up: where media files go when they do not stay in
the instance folder (an S3-compatible bucket). Errors are one line and never repeat a credential."""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib.util import find_spec
from urllib.parse import urlsplit

FORMAT = "s3://BUCKET or s3://BUCKET/PREFIX"
EXTRA = "pip install 'community-gateway[s3]'"
# S3's rules for bucket names (3 to 63 lowercase letters, digits, dots and hyphens, a letter or digit at each end).
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
REGION = re.compile(r"[a-z0-9-]{2,40}")
COMPANIONS = ("MEDIA_STORE_ENDPOINT", "MEDIA_STORE_REGION", "MEDIA_STORE_ACCESS_KEY", "MEDIA_STORE_SECRET_KEY")


def media_store_settings(get: Callable[[str], str | None]) -> dict[str, str | None]:
    """The Settings fields of the media store (all None: the instance folder); ValueError with one clear line for a
    malformed URL, a missing bucket, half the credentials, or boto3 not installed."""
    raw = get("MEDIA_STORE_URL")
    if not raw:
        stray = [name for name in COMPANIONS if get(name)]
        if stray:
            raise ValueError(f"{stray[0]} is set but MEDIA_STORE_URL is not (the S3 store it belongs to)")
        return {}
    bucket, prefix = parse_store_url(raw)
    endpoint = _endpoint(get("MEDIA_STORE_ENDPOINT"))
    region = get("MEDIA_STORE_REGION")
    if region is not None and not REGION.fullmatch(region):
        raise ValueError("MEDIA_STORE_REGION must be a region name like eu-west-3 or us-east-1")
    access_key, secret_key = get("MEDIA_STORE_ACCESS_KEY"), get("MEDIA_STORE_SECRET_KEY")
    if bool(access_key) != bool(secret_key):
        raise ValueError("MEDIA_STORE_ACCESS_KEY and MEDIA_STORE_SECRET_KEY go together: set both, or neither")
    if find_spec("boto3") is None:  # looked up, not imported: start-up stays light
        raise ValueError(f"MEDIA_STORE_URL needs boto3, which is not installed: {EXTRA}")
    return {
        "media_store_bucket": bucket,
        "media_store_prefix": prefix,
        "media_store_endpoint": endpoint,
        "media_store_region": region,
        "media_store_access_key": access_key,
        "media_store_secret_key": secret_key,
    }


def parse_store_url(raw: str) -> tuple[str, str]:
    """(bucket, prefix) of `s3://BUCKET[/PREFIX]`; the prefix ends with `/` (or is empty)."""
    parts = urlsplit(raw.strip())
    if parts.scheme != "s3":
        raise ValueError(f"MEDIA_STORE_URL must look like {FORMAT} (the endpoint goes in MEDIA_STORE_ENDPOINT)")
    if "@" in parts.netloc:
        raise ValueError("MEDIA_STORE_URL must not hold credentials: use MEDIA_STORE_ACCESS_KEY and _SECRET_KEY")
    if parts.query or parts.fragment or ":" in parts.netloc:
        raise ValueError(f"MEDIA_STORE_URL must look like {FORMAT}: no port, no ?options (see MEDIA_STORE_*)")
    bucket = parts.netloc
    if not bucket:
        raise ValueError(f"MEDIA_STORE_URL names no bucket: it must look like {FORMAT}")
    if not BUCKET.fullmatch(bucket) or ".." in bucket or re.fullmatch(r"[\d.]+", bucket):
        raise ValueError("MEDIA_STORE_URL: the bucket name must be 3 to 63 lowercase letters, digits, dots or hyphens")
    segments = [s for s in parts.path.split("/") if s]
    if any(s in (".", "..") or not SEGMENT.fullmatch(s) for s in segments) or "//" in parts.path:
        raise ValueError("MEDIA_STORE_URL: the prefix may hold letters, digits, '.', '-', '_' and single '/'")
    return bucket, "".join(f"{s}/" for s in segments)


def _endpoint(raw: str | None) -> str | None:
    """MEDIA_STORE_ENDPOINT: the S3 API's base URL of a store other than AWS (MinIO, Wasabi, OVH…)."""
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.query:
        raise ValueError("MEDIA_STORE_ENDPOINT must be an http(s) URL like https://s3.example.org:9000")
    return raw.rstrip("/")
