"""A fake Telegram Bot API: a real HTTP server on 127.0.0.1 that python-telegram-bot's own `Bot` talks to.

It serves `POST /bot<TOKEN>/<method>` (form-encoded, lists and objects as JSON strings) for getMe, sendMessage,
sendDocument (multipart, the file recorded with the call), getFile (with `GET /file/bot<TOKEN>/<path>` serving
the files added with `add_file`), deleteMessage, answerCallbackQuery, setWebhook,
deleteWebhook, getWebhookInfo and getUpdates, records every call,
and answers `{"ok": true, "result": …}` unless a per-method script says otherwise. A wrong token gets Telegram's
401 without using up the script. It also builds the updates Telegram would push, from
tests/bots/telegram/fixtures/*.json. The `fake_telegram` fixture (tests/conftest.py) starts and stops one:

    def test_something(fake_telegram):
        fake_telegram.script("sendMessage", blocked())
        ...
        assert fake_telegram.calls_to("sendMessage")[0].text == "..."
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
import time
from collections import defaultdict, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs

from tests.fakes.local_server import LocalServer

TOKEN = "123456:ABC-test_token"
SECRET = "s3cr3t_TOKEN-1"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Dialogue Mopti", "username": "dialogue_mopti_bot"}
FIXTURES = Path(__file__).resolve().parent.parent / "bots" / "telegram" / "fixtures"
MAX_POLL_WAIT = 1.0  # getUpdates never holds a request longer than this, whatever `timeout` asks
_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[A-Za-z]+)$")
_update_ids = itertools.count(900_000_001)


@dataclass(frozen=True)
class Canned:
    """One scripted answer. `body` None means "the method's normal answer"."""

    status: int = 200
    body: Mapping | None = None
    delay: float = 0.0  # seconds to wait before answering (longer than the client's timeout: a timeout)


def telegram_error(code: int, description: str, retry_after: int | None = None) -> Canned:
    """An error the way the Bot API sends it: `{"ok": false, "error_code", "description"[, "parameters"]}`."""
    body: dict = {"ok": False, "error_code": code, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return Canned(code, body)


def blocked() -> Canned:
    """403: the user blocked the bot."""
    return telegram_error(403, "Forbidden: bot was blocked by the user")


def too_many_requests(retry_after: int = 5) -> Canned:
    """429 asking the client to wait `retry_after` seconds."""
    return telegram_error(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def chat_not_found() -> Canned:
    """400: no such chat."""
    return telegram_error(400, "Bad Request: chat not found")


def message_not_found() -> Canned:
    """400 of deleteMessage: the message is gone (deleted by the user, or never there)."""
    return telegram_error(400, "Bad Request: message to delete not found")


def cannot_delete() -> Canned:
    """400 of deleteMessage: the message is older than the Bot API lets a bot delete (48 h)."""
    return telegram_error(400, "Bad Request: message can't be deleted")


def slow(seconds: float) -> Canned:
    """The normal answer, but only after `seconds`: with a shorter client timeout, a timeout."""
    return Canned(delay=seconds)


@dataclass(frozen=True)
class Call:
    """One request the fake received: the method, its form fields (as sent) and how it was answered."""

    method: str
    params: dict[str, str]
    token_ok: bool
    answered: int
    files: Mapping[str, tuple[str, bytes]] = field(default_factory=dict)  # multipart field → (filename, content)

    def json(self, name: str):
        """A field PTB sends JSON-encoded (reply_markup, allowed_updates), decoded; None when absent."""
        raw = self.params.get(name)
        return json.loads(raw) if isinstance(raw, str) else raw

    @property
    def chat_id(self) -> int:
        """The chat the call is about."""
        return int(self.params["chat_id"])

    @property
    def text(self) -> str:
        """The text sent."""
        return self.params["text"]

    @property
    def message_id(self) -> int:
        """The message a deleteMessage call is about."""
        return int(self.params["message_id"])

    @property
    def document(self) -> tuple[str, bytes]:
        """The file a sendDocument call uploaded: its name and content."""
        return self.files["document"]

    @property
    def caption(self) -> str | None:
        """A document's caption."""
        return self.params.get("caption")

    @property
    def reply_markup(self) -> dict | None:
        """The keyboard sent with the message, decoded."""
        return self.json("reply_markup")


class FakeTelegram(LocalServer):
    """The fake API: start it, script it, queue updates for polling, read what it received."""

    thread_name = "fake-telegram"

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.webhook_url = ""
        self._lock = threading.Lock()
        self._scripts: dict[str, deque[Canned]] = defaultdict(deque)
        self._calls: list[Call] = []
        self._updates: list[dict] = []
        self._message_ids = itertools.count(1)
        self.deleted: set[tuple[int, int]] = set()  # (chat_id, message_id) removed by deleteMessage
        self.files: dict[str, bytes] = {}  # file_id → content, served by getFile and the file download
        self.downloads: list[str] = []  # the file paths downloaded, in order

    def handler(self) -> type[BaseHTTPRequestHandler]:
        """This fake's routes."""
        return _Handler

    def env(self) -> dict[str, str]:
        """The gateway settings that point the Telegram channel at this fake."""
        return {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_API_BASE_URL": self.url}

    def script(self, method: str, *responses: Canned) -> None:
        """Queue canned answers for the next calls of `method`, in order; after them, the normal answer."""
        with self._lock:
            self._scripts[method].extend(responses)

    def add_file(self, file_id: str, content: bytes) -> None:
        """A file a user sent, as Telegram keeps it: getFile finds it, its path serves the bytes."""
        with self._lock:
            self.files[file_id] = content

    def queue_updates(self, *updates: dict) -> None:
        """Updates waiting for getUpdates, in order."""
        with self._lock:
            self._updates.extend(copy.deepcopy(list(updates)))

    @property
    def calls(self) -> list[Call]:
        """Every call received so far, oldest first."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """The calls of one method."""
        return [c for c in self.calls if c.method == method]

    def _next(self, method: str) -> Canned:
        with self._lock:
            script = self._scripts[method]
            return script.popleft() if script else Canned()

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def _pending(self, offset: int | None) -> list[dict]:
        with self._lock:  # an offset confirms (forgets) every update before it
            if offset is not None:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            return copy.deepcopy(self._updates)

    def get_updates(self, params: Mapping[str, str]) -> list[dict]:
        """getUpdates: what waits from `offset` on, else, within min(timeout, MAX_POLL_WAIT), whatever arrives."""
        offset = int(params["offset"]) if params.get("offset") else None
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), MAX_POLL_WAIT)
        while not (updates := self._pending(offset)) and time.monotonic() < deadline:
            time.sleep(0.05)
        return updates

    def result(self, method: str, params: Mapping[str, str]) -> tuple[int, dict]:
        """The normal answer of a method (and its effect on the fake's state)."""
        if method == "getMe":
            return 200, {"ok": True, "result": BOT_USER}
        if method == "sendMessage":
            chat = {"id": int(params["chat_id"]), "type": "private"}
            message = {"message_id": next(self._message_ids), "date": 0, "chat": chat, "text": params.get("text")}
            return 200, {"ok": True, "result": {**message, "from": BOT_USER}}
        if method == "sendDocument":
            chat = {"id": int(params["chat_id"]), "type": "private"}
            document = {"file_id": f"doc-{next(self._message_ids)}", "file_unique_id": "u", "file_name": "document"}
            message = {"message_id": next(self._message_ids), "date": 0, "chat": chat, "document": document}
            if params.get("caption"):
                message["caption"] = params["caption"]
            return 200, {"ok": True, "result": {**message, "from": BOT_USER}}
        if method == "setWebhook":
            self.webhook_url = params.get("url", "")
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}
        if method == "deleteWebhook":
            self.webhook_url = ""
            return 200, {"ok": True, "result": True, "description": "Webhook was deleted"}
        if method == "getWebhookInfo":
            info = {"url": self.webhook_url, "has_custom_certificate": False, "pending_update_count": 0}
            return 200, {"ok": True, "result": info}
        if method == "getUpdates":
            if self.webhook_url:
                description = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook"
                return 409, {"ok": False, "error_code": 409, "description": description}
            return 200, {"ok": True, "result": self.get_updates(params)}
        if method == "deleteMessage":
            key = (int(params["chat_id"]), int(params["message_id"]))
            with self._lock:
                if key in self.deleted:  # as Telegram answers a second deletion
                    return message_not_found().status, dict(message_not_found().body)
                self.deleted.add(key)
            return 200, {"ok": True, "result": True}
        if method == "getFile":
            file_id = params.get("file_id", "")
            if file_id not in self.files:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"}
            found = {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": len(self.files[file_id])}
            return 200, {"ok": True, "result": {**found, "file_path": f"media/{file_id}"}}
        if method == "answerCallbackQuery":
            return 200, {"ok": True, "result": True}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}


class _Handler(BaseHTTPRequestHandler):
    """Serves the Bot API methods of the fake's bot."""

    owner: FakeTelegram
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
        """Answer one Bot API call, from the script or normally."""
        length = int(self.headers.get("Content-Length") or 0)
        body, content_type = self.rfile.read(length), self.headers.get("Content-Type", "")
        files: dict[str, tuple[str, bytes]] = {}
        if content_type.startswith("application/json"):
            raw = json.loads(body.decode() or "{}")
            params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in raw.items()}
        elif content_type.startswith("multipart/form-data"):
            params, files = _multipart(content_type, body)
        else:
            params = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        owner, match = self.owner, _PATH.match(self.path)
        token_ok = bool(match) and match["token"] == owner.token
        method = match["method"] if match else self.path
        canned = owner._next(method) if token_ok else telegram_error(401, "Unauthorized")
        status, body = (canned.status, canned.body) if canned.body is not None else owner.result(method, params)
        owner._record(Call(method, params, token_ok, status, files))
        if canned.delay:
            time.sleep(canned.delay)
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out and went away
            self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        """A file download, `/file/bot<TOKEN>/media/<file_id>`; 404 for a wrong token or an unknown file."""
        owner, prefix = self.owner, f"/file/bot{self.owner.token}/media/"
        content = owner.files.get(self.path[len(prefix) :]) if self.path.startswith(prefix) else None
        if content is not None:
            with owner._lock:
                owner.downloads.append(self.path[len(prefix) :])
        self.send_response(200 if content is not None else 404)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(content or b"")))
        self.end_headers()
        self.wfile.write(content or b"")

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
        """Keep the test output quiet."""


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """A multipart/form-data body (how PTB uploads a file): its text fields, and its files by field name."""
    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    params: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files[name] = (part.get_filename(), content)
        else:
            params[name] = content.decode()
    return params, files


def telegram_update(name: str, *, update_id: int | None = None, user_id: int | None = None, **fields) -> dict:
    """An update from tests/bots/telegram/fixtures/<name>.json: a fresh (or given) update_id; `user_id` replaces the
    sender everywhere it appears (from, chat, own contact card); `text`, `data` (a button's) replace those fields."""
    update = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    update["update_id"] = update_id if update_id is not None else next(_update_ids)
    body = update.get("message") or update.get("callback_query") or {}
    if user_id is not None and "from" in body:
        update = _replace_id(update, body["from"]["id"], user_id)
        body = update.get("message") or update.get("callback_query")
    for key, value in fields.items():
        body[key] = value
    return update


def _replace_id(value, old: int, new: int):
    """`value` with every `id`/`user_id` equal to `old` set to `new`."""
    if isinstance(value, dict):
        return {k: new if k in ("id", "user_id") and v == old else _replace_id(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_id(v, old, new) for v in value]
    return value
