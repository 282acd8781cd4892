"""Settings (DESIGN.md, "External interface"): defaults, `.env` reading, and one clear, secret-free error per bad value,
both from `load_settings` and from the `gateway` command a user runs."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from gateway.core.config import ConfigError, load_settings
from gateway.core.pulse_schedule import PulseSchedule
from tests.processes import subprocess_env

SECRET = "Sup3rSecret"
# Every variable the settings read starts with one of these (cleared when the real environment is used).
CONFIG_PREFIXES = ("DATABASE_", "REDIS_", "GATEWAY_", "ESCALATION_", "FOLLOWUP_", "DIGEST_", "QUIET_", "SMS_")
CONFIG_PREFIXES += ("TWILIO_", "TELEGRAM_", "ANDROID_", "TRIAGE_", "PULSE_")
TWILIO = {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": SECRET}


def _settings(tmp_path: Path, **overrides: str):
    """Settings from an explicit environment whose instance folder is in tmp_path."""
    return load_settings(env={"GATEWAY_INSTANCE_PATH": str(tmp_path / "instance"), **overrides})


DEFAULTS = [
    ("escalation_step_seconds", 600),
    ("escalation_max_repeats", 3),
    ("escalation_resolve_remind_seconds", 14400),
    ("followup_after_seconds", 86400),
    ("followup_max", 3),
    ("triage_remind_seconds", 7200),
    ("digest_at", time(18, 0)),
    ("quiet_hours", (time(21, 0), time(7, 0))),
    ("twilio_api_base_url", "https://api.twilio.com"),
    ("telegram_api_base_url", "https://api.telegram.org"),
    ("pulse_schedule", PulseSchedule(0, time(9, 0))),
    ("pulse_min_answers", 3),
]


@pytest.mark.parametrize(("attribute", "expected"), DEFAULTS, ids=[name for name, _ in DEFAULTS])
def test_design_defaults(tmp_path, attribute, expected):
    assert getattr(_settings(tmp_path), attribute) == expected


def test_default_database_is_a_sqlite_file_in_the_instance_folder(tmp_path):
    settings = _settings(tmp_path)
    url = make_url(settings.database_url)
    assert url.get_backend_name() == "sqlite"
    assert Path(url.database).parent == (tmp_path / "instance").resolve() == settings.instance_path


def test_instance_folder_defaults_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert settings.instance_path == (tmp_path / "instance").resolve()
    assert Path(make_url(settings.database_url).database).parent == settings.instance_path


def test_empty_quiet_hours_disables_them(tmp_path):
    assert _settings(tmp_path, QUIET_HOURS="").quiet_hours is None
    assert _settings(tmp_path, QUIET_HOURS="22:30-06:15").quiet_hours == (time(22, 30), time(6, 15))


@pytest.mark.parametrize(
    "raw",
    ["postgresql://admin:pw@db.example:5432/gateway", "postgres://admin:pw@db.example:5432/gateway"],
    ids=["postgresql", "postgres"],
)
def test_postgresql_urls_use_the_psycopg_driver(tmp_path, raw):
    url = make_url(_settings(tmp_path, DATABASE_URL=raw).database_url)
    assert url.drivername == "postgresql+psycopg"
    parts = (url.username, url.password, url.host, url.port, url.database)
    assert parts == ("admin", "pw", "db.example", 5432, "gateway")


@pytest.mark.parametrize(
    ("every", "at", "expected"),
    [
        ("weekly", "MON 09:00", PulseSchedule(0, time(9, 0))),
        ("WEEKLY", "jeudi 14h30", PulseSchedule(3, time(14, 30))),
        ("weekly", "sam 7:05", PulseSchedule(5, time(7, 5))),
        ("off", "MON 09:00", None),
    ],
)
def test_pulse_schedule_is_read_in_english_or_french(tmp_path, every, at, expected):
    assert _settings(tmp_path, PULSE_EVERY=every, PULSE_AT=at).pulse_schedule == expected


def test_sqlite_url_is_kept(tmp_path):
    raw = f"sqlite:///{tmp_path / 'other.db'}"
    assert _settings(tmp_path, DATABASE_URL=raw).database_url == raw


BAD_VALUES = [
    ("db-not-a-url", {"DATABASE_URL": "not a url"}, "DATABASE_URL"),
    ("db-bad-port", {"DATABASE_URL": f"postgresql://admin:{SECRET}@db.example:five432/gateway"}, "DATABASE_URL"),
    ("db-mysql", {"DATABASE_URL": f"mysql://admin:{SECRET}@localhost/gateway"}, "DATABASE_URL"),
    ("redis-scheme", {"REDIS_URL": f"http://:{SECRET}@127.0.0.1:6379/0"}, "REDIS_URL"),
    ("step-not-int", {"ESCALATION_STEP_SECONDS": "10m"}, "ESCALATION_STEP_SECONDS"),
    ("step-zero", {"ESCALATION_STEP_SECONDS": "0"}, "ESCALATION_STEP_SECONDS"),
    ("followup-max-negative", {"FOLLOWUP_MAX": "-1"}, "FOLLOWUP_MAX"),
    ("digest-hour", {"DIGEST_AT": "25:00"}, "DIGEST_AT"),
    ("digest-words", {"DIGEST_AT": "6pm"}, "DIGEST_AT"),
    ("quiet-one-time", {"QUIET_HOURS": "21:00"}, "QUIET_HOURS"),
    ("quiet-bad-end", {"QUIET_HOURS": "21:00-7"}, "QUIET_HOURS"),
    ("sms-channel-foo", {"SMS_CHANNEL": "foo"}, "SMS_CHANNEL"),
    ("sms-twilio-no-creds", {"SMS_CHANNEL": "twilio"}, "SMS_CHANNEL"),
    ("twilio-no-sender", TWILIO, "TWILIO_FROM_NUMBER"),
    ("android-no-url", {"SMS_CHANNEL": "android", "ANDROID_GATEWAY_PASSWORD": SECRET}, "ANDROID_GATEWAY_URL"),
    ("timezone", {"GATEWAY_TIMEZONE": "Africa/Atlantis"}, "GATEWAY_TIMEZONE"),
    ("pulse-every-daily", {"PULSE_EVERY": "daily"}, "PULSE_EVERY"),
    ("pulse-at-no-day", {"PULSE_AT": "09:00"}, "PULSE_AT"),
    ("pulse-at-bad-day", {"PULSE_AT": "FUNDAY 09:00"}, "PULSE_AT"),
    ("pulse-at-bad-hour", {"PULSE_AT": "MON 25:00"}, "PULSE_AT"),
    ("pulse-at-in-quiet-hours", {"PULSE_AT": "SUN 22:30"}, "QUIET_HOURS"),
    ("pulse-min-answers-zero", {"PULSE_MIN_ANSWERS": "0"}, "PULSE_MIN_ANSWERS"),
]


@pytest.mark.parametrize(("overrides", "variable"), [case[1:] for case in BAD_VALUES], ids=[c[0] for c in BAD_VALUES])
def test_bad_value_is_a_config_error_naming_the_variable_without_the_secret(tmp_path, overrides, variable):
    with pytest.raises(ConfigError) as caught:
        _settings(tmp_path, **overrides)
    message = str(caught.value)
    assert variable in message
    assert SECRET not in message and SECRET not in repr(caught.value)
    assert "\n" not in message


def test_dotenv_file_is_read_and_the_real_environment_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(CONFIG_PREFIXES):
            monkeypatch.delenv(name)
    (tmp_path / ".env").write_text(
        f"ESCALATION_STEP_SECONDS=120\nDIGEST_AT=19:30\nFOLLOWUP_MAX=5\nDATABASE_URL=sqlite:///{tmp_path}/from-file.db\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("DIGEST_AT", "20:15")
    monkeypatch.setenv("FOLLOWUP_MAX", "1")
    settings = load_settings()
    assert settings.escalation_step_seconds == 120
    assert make_url(settings.database_url).database == f"{tmp_path}/from-file.db"
    assert settings.digest_at == time(20, 15)
    assert settings.followup_max == 1


def test_dotenv_is_ignored_when_an_explicit_environment_is_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("ESCALATION_STEP_SECONDS=120\n", encoding="utf-8")
    assert _settings(tmp_path).escalation_step_seconds == 600


def _run_gateway(args: list[str], env: dict[str, str], net_log: Path) -> subprocess.CompletedProcess:
    """Run `python -m gateway ARGS` with the given settings and the network guard."""
    return subprocess.run(
        [sys.executable, "-m", "gateway", *args],
        env=subprocess_env(env, net_log),
        capture_output=True,
        text=True,
        timeout=60,
    )


CLI_CASES = [
    ("worker-redis-unreachable", ["worker", "--burst"], {"REDIS_URL": f"redis://:{SECRET}@127.0.0.1:1/0"}, "REDIS_URL"),
    ("worker-redis-scheme", ["worker", "--burst"], {"REDIS_URL": f"http://:{SECRET}@127.0.0.1:1/0"}, "REDIS_URL"),
    ("db-garbage-host", ["db", "upgrade"], {"DATABASE_URL": f"postgresql://admin:{SECRET}@/:::"}, "DATABASE_URL"),
    (
        "db-bad-port",
        ["db", "upgrade"],
        {"DATABASE_URL": f"postgresql://admin:{SECRET}@127.0.0.1:five432/gateway"},
        "DATABASE_URL",
    ),
    ("db-mysql", ["db", "upgrade"], {"DATABASE_URL": f"mysql://admin:{SECRET}@127.0.0.1/gateway"}, "DATABASE_URL"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "overrides", "variable"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES])
def test_cli_reports_bad_settings_in_one_line_without_the_secret(tmp_path, net_log, args, overrides, variable):
    env = {
        "GATEWAY_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.db'}",
        "REDIS_URL": "redis://127.0.0.1:1/0",
        **overrides,
    }
    result = _run_gateway(args, env, net_log)
    assert result.returncode != 0
    assert "Traceback" not in result.stdout + result.stderr
    assert SECRET not in result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error:") and variable in lines[0]
