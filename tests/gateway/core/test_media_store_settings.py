"""MEDIA_STORE_URL and its companions (MEDIA_STORE_ENDPOINT, _REGION, _ACCESS_KEY, _SECRET_KEY), read at start-up:
good values become the settings of the S3 store, bad ones stop the gateway with one line that names the variable
and never repeats a credential; boto3 missing says which extra to install."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.core import media_store_settings
from gateway.core.config import ConfigError, load_settings
from tests.gateway.core.test_config import _run_gateway

SECRET = "Sup3rSecretStoreKey"
KEYS = {"MEDIA_STORE_ACCESS_KEY": "AKIAEXAMPLE", "MEDIA_STORE_SECRET_KEY": SECRET}

GOOD = [
    ("bucket only", {"MEDIA_STORE_URL": "s3://gateway-media"}, ("gateway-media", "", None, None)),
    (
        "bucket and prefix",
        {"MEDIA_STORE_URL": "s3://gateway-media/mopti/2026"},
        ("gateway-media", "mopti/2026/", None, None),
    ),
    ("trailing slash", {"MEDIA_STORE_URL": " s3://gateway.media-1/files/ "}, ("gateway.media-1", "files/", None, None)),
    (
        "MinIO endpoint",
        {"MEDIA_STORE_URL": "s3://media", "MEDIA_STORE_ENDPOINT": "http://10.0.0.5:9000/", **KEYS},
        ("media", "", "http://10.0.0.5:9000", None),
    ),
    (
        "region, credentials from boto3's chain",
        {"MEDIA_STORE_URL": "s3://gateway-media", "MEDIA_STORE_REGION": "eu-west-3"},
        ("gateway-media", "", None, "eu-west-3"),
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), [g[1:] for g in GOOD], ids=[g[0] for g in GOOD])
def test_good_store_settings(tmp_path, overrides, expected):
    settings = load_settings({"GATEWAY_INSTANCE_PATH": str(tmp_path), **overrides})
    got = (settings.media_store_bucket, settings.media_store_prefix)
    assert got + (settings.media_store_endpoint, settings.media_store_region) == expected
    assert SECRET not in repr(settings), "a credential in the settings' repr (logged at start-up)"
    if "MEDIA_STORE_SECRET_KEY" in overrides:
        assert SECRET in settings.secrets, "the secret key is not redacted from logs"


BAD = [
    ("no scheme", {"MEDIA_STORE_URL": "gateway-media/files"}, "MEDIA_STORE_URL must look like s3://BUCKET"),
    ("https URL", {"MEDIA_STORE_URL": "https://s3.example.org/gateway-media"}, "MEDIA_STORE_URL must look like"),
    ("no bucket", {"MEDIA_STORE_URL": "s3:///files"}, "MEDIA_STORE_URL names no bucket"),
    ("only the scheme", {"MEDIA_STORE_URL": "s3://"}, "MEDIA_STORE_URL names no bucket"),
    ("upper-case bucket", {"MEDIA_STORE_URL": "s3://Gateway_Media"}, "the bucket name must be"),
    ("bucket too short", {"MEDIA_STORE_URL": "s3://ab"}, "the bucket name must be"),
    ("bucket as an address", {"MEDIA_STORE_URL": "s3://192.168.1.10"}, "the bucket name must be"),
    ("credentials in the URL", {"MEDIA_STORE_URL": f"s3://AKIA:{SECRET}@gateway-media"}, "must not hold credentials"),
    ("port", {"MEDIA_STORE_URL": "s3://gateway-media:9000/files"}, "no port"),
    ("options", {"MEDIA_STORE_URL": "s3://gateway-media?endpoint=http://x"}, "no ?options"),
    ("dot-dot prefix", {"MEDIA_STORE_URL": "s3://gateway-media/../etc"}, "the prefix may hold"),
    ("odd prefix", {"MEDIA_STORE_URL": "s3://gateway-media/a b"}, "the prefix may hold"),
    ("double slash", {"MEDIA_STORE_URL": "s3://gateway-media/a//b"}, "the prefix may hold"),
    (
        "endpoint not http",
        {"MEDIA_STORE_URL": "s3://media", "MEDIA_STORE_ENDPOINT": "minio:9000"},
        "MEDIA_STORE_ENDPOINT",
    ),
    (
        "endpoint with credentials",
        {"MEDIA_STORE_URL": "s3://media", "MEDIA_STORE_ENDPOINT": f"https://u:{SECRET}@s3.example.org"},
        "MEDIA_STORE_ENDPOINT must be",
    ),
    ("bad region", {"MEDIA_STORE_URL": "s3://media", "MEDIA_STORE_REGION": "Paris!"}, "MEDIA_STORE_REGION"),
    (
        "secret without its access key",
        {"MEDIA_STORE_URL": "s3://media", "MEDIA_STORE_SECRET_KEY": SECRET},
        "MEDIA_STORE_ACCESS_KEY and MEDIA_STORE_SECRET_KEY go together",
    ),
    ("endpoint without a store", {"MEDIA_STORE_ENDPOINT": "http://127.0.0.1:9000"}, "MEDIA_STORE_URL is not"),
    ("credentials without a store", KEYS, "MEDIA_STORE_ACCESS_KEY is set but MEDIA_STORE_URL is not"),
]


@pytest.mark.parametrize(("overrides", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_store_settings_are_one_line_without_the_secret(tmp_path, overrides, message):
    with pytest.raises(ConfigError) as caught:
        load_settings({"GATEWAY_INSTANCE_PATH": str(tmp_path), **overrides})
    text = str(caught.value)
    assert message in text and "\n" not in text
    assert SECRET not in text and SECRET not in repr(caught.value)


def test_without_boto3_start_up_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setattr(media_store_settings, "find_spec", lambda name: None)
    with pytest.raises(
        ConfigError, match=r"needs boto3, which is not installed: pip install 'community-gateway\[s3\]'"
    ):
        load_settings({"GATEWAY_INSTANCE_PATH": str(tmp_path), "MEDIA_STORE_URL": "s3://gateway-media"})


@pytest.mark.slow
def test_the_command_stops_on_a_bad_store_url_in_one_line(tmp_path: Path, net_log):
    env = {
        "GATEWAY_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.db'}",
        "MEDIA_STORE_URL": "s3://Not_A_Bucket/media",
        **KEYS,
    }
    result = _run_gateway(["db", "upgrade"], env, net_log)
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr and SECRET not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and "MEDIA_STORE_URL" in lines[0], result.stderr
