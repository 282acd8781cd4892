"""A listing whose reader goes away (`gateway officers | head`) ends quietly with the exit status of a command
stopped by SIGPIPE (141), never with "unexpected BrokenPipeError"."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from gateway.cli import main
from tests.processes import subprocess_env

SIGPIPE_EXIT = 128 + signal.SIGPIPE
LISTINGS = [
    ["officers"],
    ["officers", "--format", "json"],
    ["alerts", "list"],
    ["meetings", "list"],
    ["audit", "list"],
    ["contacts", "export"],
]


def closed_pipe() -> int:
    """The write end of a pipe whose reader has already gone: every write to it fails with EPIPE."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    return write_end


@pytest.mark.parametrize("args", LISTINGS, ids=" ".join)
def test_a_listing_into_a_closed_pipe_ends_quietly(env, directory, monkeypatch, capsys, args):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with open(closed_pipe(), "w", encoding="utf-8") as broken:
        monkeypatch.setattr(sys, "stdout", broken)
        with pytest.raises(SystemExit) as stopped:
            main.main(args, prog_name="gateway")
        monkeypatch.undo()
    assert stopped.value.code == SIGPIPE_EXIT
    assert capsys.readouterr().err == ""


@pytest.mark.slow
def test_gateway_officers_piped_into_a_reader_that_stops_early(env, directory, net_log):
    """The real command in its own process: no error line, no "Exception ignored" at the interpreter's exit."""
    proc_env = subprocess_env(env, net_log)
    gateway = [sys.executable, "-m", "gateway", "officers"]
    stdout = closed_pipe()
    try:
        cut = subprocess.run(gateway, env=proc_env, stdout=stdout, stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(stdout)
    assert (cut.returncode, cut.stderr.decode()) == (SIGPIPE_EXIT, "")

    # The shell's `| head -n 1`: the first line arrives, nothing is said on stderr whenever head leaves.
    shell = subprocess.run(
        ["sh", "-c", '"$0" -m gateway officers | head -n 1', sys.executable],
        env=proc_env,
        capture_output=True,
        timeout=60,
    )
    assert shell.returncode == 0 and shell.stdout.decode().startswith("DISTRICT")
    assert shell.stderr.decode() == ""
