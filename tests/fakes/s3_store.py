"""A local S3 for the media store's tests: moto's server on 127.0.0.1 (a free port), spoken to over real HTTP by the
real boto3, with a fresh private bucket for each test. Never AWS: explicit credentials, an explicit endpoint, and
no instance metadata lookup."""

from __future__ import annotations

import socket
import uuid

ACCESS_KEY = "AKIAFAKEGATEWAYTEST1"
SECRET_KEY = "fake-secret-key-of-the-gateway-tests-0001"
REGION = "us-east-1"
# boto3 reads these before anything else: no instance metadata (an HTTP call off this machine), no ~/.aws files.
HERMETIC_ENV = {
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
}


class FakeS3:
    """moto's S3 server in a thread of the test process; `env()` makes a bucket and the settings that use it."""

    def __init__(self) -> None:
        self.server = None
        self.endpoint = ""

    def start(self) -> None:
        """Start the server on a free port of 127.0.0.1."""
        from moto.server import ThreadedMotoServer  # heavy: only sessions that run these tests load it

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        host, port = self.server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"

    def stop(self) -> None:
        """Stop the server."""
        if self.server is not None:
            self.server.stop()

    def client(self):
        """A boto3 client of the fake (to look into the bucket as an operator would)."""
        import boto3

        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )  # fmt: skip

    def new_bucket(self) -> str:
        """A new empty bucket's name."""
        name = f"gateway-media-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def env(self, bucket: str | None = None, prefix: str = "media") -> dict[str, str]:
        """The gateway's settings for a bucket of the fake (a new one unless named), objects under `prefix/`."""
        bucket = bucket or self.new_bucket()
        return {
            "MEDIA_STORE_URL": f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}",
            "MEDIA_STORE_ENDPOINT": self.endpoint,
            "MEDIA_STORE_ACCESS_KEY": ACCESS_KEY,
            "MEDIA_STORE_SECRET_KEY": SECRET_KEY,
        }

    def objects(self, bucket: str) -> dict[str, tuple[bytes, str]]:
        """Every object of a bucket: name → (bytes, stored content type)."""
        client = self.client()
        found = {}
        for entry in client.list_objects_v2(Bucket=bucket).get("Contents", []):
            answer = client.get_object(Bucket=bucket, Key=entry["Key"])
            found[entry["Key"]] = (answer["Body"].read(), answer["ContentType"])
        return found


def closed_port() -> int:
    """A port of 127.0.0.1 on which nothing listens (a store that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
