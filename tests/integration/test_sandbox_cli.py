"""``loadtest sandbox``: needs an API key, prints its listening line, serves, exits 0 on a signal.

The key never shows: not in the sandbox's output, not on the command line ``running_sandbox`` starts.
"""

import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from loadtest import contract
from loadtest.sandbox import running_sandbox, start_sandbox
from tests.conftest import ROOT, child_environ, run_command
from tests.integration.conftest import call_endpoint

pytestmark = pytest.mark.slow

SANDBOX = [sys.executable, "-m", "loadtest", "sandbox"]


def with_key(key: str | None) -> dict[str, str | None]:
    """The environment change that sets LOADTEST_API_KEY to ``key`` (None: unsets it)."""
    return {"LOADTEST_API_KEY": key}


def secret() -> str:
    return f"cli-secret-{uuid.uuid4().hex}"


@pytest.mark.parametrize("how", ["option", "environment"])
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_cli_prints_its_url_serves_with_the_key_and_exits_0_on_a_signal(signum, how):
    key = secret()
    args = ["--port", "0", "--seed", "1", "--access-log"] + (["--api-key", key] if how == "option" else [])
    proc = subprocess.Popen(
        [*SANDBOX, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_environ(with_key(key if how == "environment" else None)),
    )
    try:
        line = proc.stdout.readline()
        assert re.fullmatch(r"sandbox listening on http://127\.0\.0\.1:\d+\n", line), line
        url = line.split()[-1]
        assert call_endpoint(url, contract.HELP_ARTICLES, key=key).status_code == 200
        assert call_endpoint(url, contract.HELP_ARTICLES, key=None).status_code == 403
        wrong = call_endpoint(url, contract.HELP_ARTICLES, key=key[:-1])
        assert wrong.status_code == 403 and key not in wrong.text
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, err
    assert out == "" and "Traceback" not in err
    assert err.count(contract.HELP_ARTICLES.path) == 3  # the access log saw the three requests
    assert key not in line + out + err and key[:-1] not in err


@pytest.mark.parametrize("env_key", [None, "", "   "], ids=["unset", "empty", "blank"])
def test_without_a_key_the_cli_exits_2_with_one_line(env_key):
    done = run_command(*SANDBOX, "--port", "0", env=with_key(env_key))
    assert done.returncode == 2
    assert done.stdout == "" and done.stderr.count("\n") == 1
    assert "--api-key" in done.stderr and "LOADTEST_API_KEY" in done.stderr
    assert "listening" not in done.stderr


def test_a_bad_option_exits_2_with_one_line_that_does_not_show_the_key():
    key = secret()
    done = run_command(*SANDBOX, "--api-key", key, "--fault", "*=latency:soon", env=with_key(key))
    assert done.returncode == 2
    assert done.stdout == "" and done.stderr.count("\n") == 1 and "--fault '*=latency:soon'" in done.stderr
    assert key not in done.stderr


def test_a_port_in_use_exits_1_with_a_message_that_does_not_show_the_key():
    key = secret()
    first = start_sandbox(["--port", "0"], env={"LOADTEST_API_KEY": key})
    try:
        port = first.url.rsplit(":", 1)[1]
        done = run_command(*SANDBOX, "--port", port, env=with_key(key))
    finally:
        first.stop()
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr
    assert key not in done.stdout + done.stderr + first.logged


def _children() -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        try:
            # /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, the last ")" ends it.
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == os.getpid():
            children.append(int(entry.name))
    return children


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_running_sandbox_hands_the_key_over_in_the_environment_not_the_command_line():
    key = secret()
    others = set(_children())  # e.g. the session's sandbox
    with running_sandbox(api_key=key) as url:
        assert call_endpoint(url, contract.HELP_ARTICLES, key=key).status_code == 200
        sandboxes = []
        for pid in set(_children()) - others:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if cmdline[1:4] == [b"-m", b"loadtest", b"sandbox"]:
                sandboxes.append((cmdline, env))
        assert len(sandboxes) == 1, sandboxes
        cmdline, env = sandboxes[0]
        assert not any(key.encode() in arg for arg in cmdline)
        assert f"LOADTEST_API_KEY={key}".encode() in env
