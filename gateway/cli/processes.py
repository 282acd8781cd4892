"""`gateway run`, `gateway web`, `gateway worker`: the processes of the gateway."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time

import click
from sqlalchemy.engine import make_url

from gateway.cli import cli_settings, open_database
from gateway.core.config import Settings
from gateway.core.redis_server import connect, describe_redis_url
from gateway.observability import multiproc


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--workers", "web_workers", default=2, show_default=True, type=click.IntRange(1, 64))
def web(host: str, port: int, web_workers: int) -> None:
    """Run the web process under gunicorn (a production server)."""
    from gunicorn.app.base import BaseApplication

    settings = cli_settings(service=True)
    warn_without_sms(settings)
    # The whole web side starts here (unless `gateway run` started it and already wiped): last run's counts go.
    multiproc.prepare(settings.instance_path, wipe=not os.environ.get(_STARTED_BY_RUN))

    class GatewayServer(BaseApplication):
        """gunicorn, configured in code, serving the app factory."""

        def load_config(self) -> None:
            """Bind, workers, the Procfile's worker settings (gateway/web/webserver.py); no access log."""
            from gateway.web import webserver

            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", web_workers)
            webserver.apply(self.cfg)
            self.cfg.set("accesslog", None)  # access logs would carry Telegram chat ids and query strings

        def load(self):
            """The WSGI app (built in each gunicorn worker)."""
            from gateway.web.app import create_app

            return create_app(settings)

    GatewayServer().run()


@click.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(burst: bool) -> None:
    """Run an RQ worker (with the scheduler and the outbox sweep) on every queue."""
    from gateway.core.runtime import build_runtime, set_process_runtime
    from gateway.messaging.android_recovery import schedule_recovery_at_start
    from workers.worker import run_worker

    settings = cli_settings(service=True)
    multiproc.prepare(settings.instance_path)  # one worker among others: it never wipes their counts
    runtime = build_runtime(settings)
    warn_without_sms(settings)  # once it can start: a start that fails says one line, its error
    set_process_runtime(runtime)
    # Before the first sweep renews the heartbeat: the gap since the last one is what the phone may have kept.
    schedule_recovery_at_start(settings, runtime.redis)
    try:
        run_worker(runtime, burst=burst)
    finally:
        runtime.close()
        multiproc.mark_process_dead(os.getpid())


# Set by `gateway run` for its web and worker: it has said it once already.
_SMS_WARNING_SHOWN = "GATEWAY_SMS_WARNING_SHOWN"
# Set by `gateway run` for its web: the metrics directory is prepared (and wiped) already.
_STARTED_BY_RUN = "GATEWAY_STARTED_BY_RUN"


def warn_without_sms(settings: Settings) -> None:
    """One line on standard error when no channel carries SMS. A warning, not a refusal to start: a Telegram-only
    deployment is legitimate, and its SMS are then marked failed (no_sms_channel), never pretended sent."""
    from gateway.messaging.channels import enabled_codes
    from gateway.messaging.routing import sms_warning

    warning = sms_warning(settings, enabled_codes(settings))
    if warning and not os.environ.get(_SMS_WARNING_SHOWN):
        click.echo(f"warning: {warning}", err=True)


def _die_with_parent() -> None:
    # Linux: a child gets SIGTERM if `gateway run` itself is killed, so nothing is left orphaned.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _describe_channels(settings: Settings, base_url: str) -> list[str]:
    from gateway.messaging.channels import build_channels, sms_channel_code

    lines = []
    channels = build_channels(settings, connection=None)  # building does not connect
    lines.append("channels: " + ", ".join(sorted(channels)))
    lines.append(f"SMS goes through: {sms_channel_code(settings, channels) or 'none'}")
    for code, channel in channels.items():
        for route in channel.routes:
            lines.append(f"  register with {code}: {base_url}{route.path}")
    return lines


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def run(host: str, port: int) -> None:
    """Everything on one machine: migrations, embedded Redis if REDIS_URL is unset, web, worker."""
    settings = cli_settings(service=True)
    open_database(settings)
    handle = connect(settings.redis_url, settings.instance_path)
    multiproc.prepare(settings.instance_path, wipe=True)  # the whole gateway starts: a fresh count for all
    env = dict(os.environ, REDIS_URL=handle.url, GATEWAY_INSTANCE_PATH=str(settings.instance_path))
    env["DATABASE_URL"] = settings.database_url
    env[_SMS_WARNING_SHOWN] = env[_STARTED_BY_RUN] = "1"
    base_url = settings.public_base_url or f"http://{host}:{port}"
    click.echo(f"database: {make_url(settings.database_url).render_as_string(hide_password=True)}")
    click.echo(f"redis: {'embedded, ' if handle.embedded else ''}{describe_redis_url(handle.url)}")
    for line in _describe_channels(settings, base_url):
        click.echo(line)
    warn_without_sms(settings)
    click.echo(f"web: http://{host}:{port} (health: /healthz, /readyz). Ctrl-C stops everything.")

    commands = {
        "web": [sys.executable, "-m", "gateway", "web", "--host", host, "--port", str(port)],
        "worker": [sys.executable, "-m", "gateway", "worker"],
    }
    children = {
        name: subprocess.Popen(cmd, env=env, preexec_fn=_die_with_parent, start_new_session=True)
        for name, cmd in commands.items()
    }
    stopping = False

    def stop(_signum, _frame):
        """Ctrl-C or SIGTERM: leave the loop and stop the children."""
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    exit_code = 0
    try:
        while not stopping:
            for name, child in children.items():
                if child.poll() is not None:
                    click.echo(f"the {name} process stopped (exit {child.returncode}); stopping the gateway", err=True)
                    exit_code = 1
                    stopping = True
            time.sleep(0.2)
    finally:
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in children.values():
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        handle.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("gateway stopped")
    if exit_code:
        raise click.exceptions.Exit(exit_code)
