"""The baseline of the inbound benchmark: a Flask app that only verifies Twilio's signature and answers empty TwiML.

Served by gunicorn exactly like the gateway (2 sync workers, no access log):
`gunicorn --workers 2 --bind 127.0.0.1:P bench.minimal_app:app` with TWILIO_AUTH_TOKEN and PUBLIC_BASE_URL set.
"""

from __future__ import annotations

import os

from flask import Flask, Response, abort, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

app = Flask(__name__)
EMPTY_TWIML = str(MessagingResponse())
TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
BASE = os.environ.get("PUBLIC_BASE_URL", "")


@app.post("/webhooks/twilio/sms")
def inbound_sms():
    """Verify the signature over the public URL; answer empty TwiML."""
    url = BASE + (request.full_path[:-1] if request.full_path.endswith("?") else request.full_path)
    if not RequestValidator(TOKEN).validate(url, request.form, request.headers.get("X-Twilio-Signature", "")):
        abort(403)
    return Response(EMPTY_TWIML, mimetype="application/xml")


@app.get("/healthz")
def healthz():
    """Liveness, for the benchmark's readiness wait."""
    return {"status": "ok"}
