"""Logging, configured in one place: phone numbers masked, secrets redacted, provider libraries kept quiet."""

from __future__ import annotations

import logging
import sys

from gateway.core.privacy import mask_phone_numbers, redact_secrets

# Libraries that would log URLs carrying tokens, or request bodies, at INFO/DEBUG.
_NOISY_LOGGERS = ("httpx", "httpcore", "twilio.http_client", "urllib3", "telegram", "alembic")


class PrivacyFilter(logging.Filter):
    """Rewrites every record's final text: phone numbers masked, secret values replaced by `***`."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        """Render the message once, scrub it, and drop the arguments so no handler re-renders the raw values."""
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed log call must not break the caller
            text = str(record.msg)
        text = mask_phone_numbers(redact_secrets(text, self.secrets))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_phone_numbers(redact_secrets(record.exc_text, self.secrets))
        record.msg, record.args = text, None
        return True


_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str = "INFO", secrets: tuple[str, ...] = ()) -> None:
    """Install the gateway's single log handler on the root logger (idempotent)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_gateway", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._gateway = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(PrivacyFilter(secrets))
    root.addHandler(handler)
    root.setLevel(level)
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    install_filter_on_existing(secrets)


def install_filter_on_existing(secrets: tuple[str, ...]) -> None:
    """Put the privacy filter on handlers others installed (gunicorn's, RQ's) so they are scrubbed too."""
    loggers = [logging.getLogger()] + [
        logging.getLogger(name) for name in list(logging.root.manager.loggerDict) if not name.startswith("_")
    ]
    for logger in loggers:
        for handler in getattr(logger, "handlers", []):
            if not any(isinstance(f, PrivacyFilter) for f in handler.filters):
                handler.addFilter(PrivacyFilter(secrets))
