"""The media store in an S3-compatible bucket (MEDIA_STORE_URL): the instance folder's put/read/delete by random key,
through boto3. Imported only when the setting is on (gateway.media.store.media_store), so boto3 stays out of every
process that does not need it."""

from __future__ import annotations

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from gateway.media.keys import StoreUnavailable, check_key

# A dead or hung store fails the media job quickly (RQ tries it again later) instead of holding a worker for minutes.
CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 30
MAX_ATTEMPTS = 3  # tries in all, the first included ("standard" mode retries 5xx, throttling, dropped connections)
# Every object is stored as opaque bytes: its checked type lives in our database row, and nothing in the bucket may
# ever be rendered by a browser as what it claims to be.
OPAQUE = "application/octet-stream"
ABSENT_CODES = frozenset({"NoSuchKey"})  # not "NoSuchBucket": a bucket gone is a failure, never "no such file"


def client_config(path_style: bool) -> Config:
    """botocore's settings for the store: short timeouts, few retries, and checksums only where the API requires
    them (several S3-compatible stores reject the newer default ones)."""
    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"},
        s3={"addressing_style": "path" if path_style else "auto"},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )


class S3MediaStore:
    """Objects named `<prefix><key>` in one private bucket; never a public or presigned URL (the console serves the
    files through its own role-checked route)."""

    def __init__(self, client, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    @classmethod
    def from_settings(cls, settings) -> S3MediaStore:
        """The store of MEDIA_STORE_URL, MEDIA_STORE_ENDPOINT, MEDIA_STORE_REGION and the credentials (or, without
        MEDIA_STORE_ACCESS_KEY, boto3's usual environment variables, shared files or instance role)."""
        endpoint = settings.media_store_endpoint
        # A named endpoint (MinIO, Wasabi, OVH…) has no region of its own: any name signs, us-east-1 is the usual one.
        region = settings.media_store_region or ("us-east-1" if endpoint else None)
        client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=settings.media_store_access_key,
            aws_secret_access_key=settings.media_store_secret_key,
            config=client_config(path_style=bool(endpoint)),
        )
        return cls(client, settings.media_store_bucket, settings.media_store_prefix)

    def name(self, key: str) -> str:
        """The object's name of a key; a key that is not one of ours raises ValueError."""
        return self.prefix + check_key(key)

    def put(self, key: str, content: bytes) -> None:
        """Upload a file (S3 makes an object visible whole or not at all)."""
        name = self.name(key)
        try:
            self.client.put_object(Bucket=self.bucket, Key=name, Body=content, ContentType=OPAQUE)
        except (BotoCoreError, ClientError) as exc:
            raise StoreUnavailable(_why("put", exc)) from exc

    def read(self, key: str) -> bytes | None:
        """A file's bytes, or None when it is not there (never fetched, or purged)."""
        try:
            name = self.name(key)
        except ValueError:
            return None
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=name)
            return answer["Body"].read()
        except ClientError as exc:
            if _code(exc) in ABSENT_CODES:
                return None
            raise StoreUnavailable(_why("read", exc)) from exc
        except BotoCoreError as exc:
            raise StoreUnavailable(_why("read", exc)) from exc

    def delete(self, key: str) -> bool:
        """Remove a file; False when it was not there. S3's delete answers alike either way, and a HEAD's 404 cannot
        tell a missing file from a missing bucket, so the first byte is asked for first."""
        try:
            name = self.name(key)
        except ValueError:
            return False
        try:
            self.client.get_object(Bucket=self.bucket, Key=name, Range="bytes=0-0")["Body"].close()
        except ClientError as exc:
            if _code(exc) in ABSENT_CODES:
                return False
            if _code(exc) != "InvalidRange":  # an empty file has no first byte, but it is there
                raise StoreUnavailable(_why("delete", exc)) from exc
        except BotoCoreError as exc:
            raise StoreUnavailable(_why("delete", exc)) from exc
        try:
            self.client.delete_object(Bucket=self.bucket, Key=name)
        except (BotoCoreError, ClientError) as exc:
            raise StoreUnavailable(_why("delete", exc)) from exc
        return True


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _why(action: str, exc: Exception) -> str:
    """A short reason without the key or anything secret: the action and the error's code or class."""
    reason = _code(exc) if isinstance(exc, ClientError) else type(exc).__name__
    return f"media store {action} failed ({reason or type(exc).__name__})"
