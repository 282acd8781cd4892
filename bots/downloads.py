"""Downloading a file over HTTP with a size cap, for the channels that fetch what people sent (Telegram, Twilio)."""

from __future__ import annotations

import httpx

from bots.base import MediaDownload

CHUNK = 64 * 1024


def download(
    url: str, max_bytes: int, *, auth: tuple[str, str] | None = None, timeout: float = 30, what: str = "media"
) -> MediaDownload:
    """GET `url` and read at most `max_bytes` (stopping as soon as it is over: a huge file is never read whole).
    Redirects are followed (Twilio sends to its storage); httpx drops the credentials on a redirect elsewhere."""
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, auth=auth) as client:
            with client.stream("GET", url) as response:
                if response.status_code in (404, 410):
                    return MediaDownload(error=f"{what}:gone")
                if response.status_code == 429 or response.status_code >= 500:
                    return MediaDownload(error=f"{what}:{response.status_code}", retry=True)
                if response.status_code != 200:
                    return MediaDownload(error=f"{what}:{response.status_code}")
                declared = response.headers.get("Content-Length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    return MediaDownload(error="too_large")
                content = bytearray()
                for chunk in response.iter_bytes(CHUNK):
                    content += chunk
                    if len(content) > max_bytes:
                        return MediaDownload(error="too_large")
                return MediaDownload(content=bytes(content))
    except httpx.HTTPError as exc:  # timeouts, refused connections: the provider may answer later
        return MediaDownload(error=f"network:{type(exc).__name__}", retry=True)
