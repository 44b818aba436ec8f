"""``python -m loadtest.sandbox``: prints its listening line, serves, exits 0 on SIGTERM and SIGINT."""

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from loadtest import config
from loadtest.sandbox.process import start_server

pytestmark = pytest.mark.slow

ROOT = Path(config.__file__).resolve().parents[1]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_cli_prints_its_url_serves_and_exits_0_on_a_signal(signum):
    proc = subprocess.Popen(
        [sys.executable, "-m", "loadtest.sandbox", "--port", "0", "--seed", "1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert re.fullmatch(r"sandbox listening on http://127\.0\.0\.1:\d+\n", line), line
        url = line.split()[-1]
        assert (
            requests.get(url + config.HELP_ARTICLES.path, timeout=config.REQUEST_TIMEOUT_S).status_code == 200
        )
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert out == "" and "Traceback" not in err


def test_a_bad_option_exits_2_with_one_line():
    done = subprocess.run(
        [sys.executable, "-m", "loadtest.sandbox", "--fault", "*=latency:soon"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert done.stdout == "" and done.stderr.count("\n") == 1 and "--fault '*=latency:soon'" in done.stderr


def test_a_port_in_use_exits_1_with_a_message():
    first = start_server("loadtest.sandbox", ["--port", "0"])
    try:
        port = first.url.rsplit(":", 1)[1]
        done = subprocess.run(
            [sys.executable, "-m", "loadtest.sandbox", "--port", port],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        first.stop()
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr
