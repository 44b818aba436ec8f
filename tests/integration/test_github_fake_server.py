"""The fake GitHub server as the act rehearsal starts it: a subprocess that prints its URL."""

import json
import subprocess
import sys

import pytest
import requests

from tests.conftest import ROOT, child_environ

pytestmark = pytest.mark.slow


@pytest.fixture
def fake_url(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"pulls": [{"number": 3, "head_sha": "a" * 40}]}))
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.fakes.github_server",
            "--port",
            "0",
            "--token",
            "t",
            "--seed",
            str(seed),
        ],
        cwd=ROOT,
        env=child_environ(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield process.stdout.readline().strip()
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_started_as_a_module_it_serves_seeds_and_reports_state(fake_url):
    assert fake_url.startswith("http://127.0.0.1:")
    api = f"{fake_url}/repos/amal-education/loadtest"
    assert requests.get(f"{api}/pulls/3", timeout=5).status_code == 401
    created = requests.post(
        f"{api}/issues/3/comments", json={"body": "hi"}, headers={"Authorization": "Bearer t"}, timeout=5
    )
    assert created.status_code == 201
    requests.post(
        f"{fake_url}/_fake/fail", json={"method": "GET", "path": "/pulls/3$", "status": 502}, timeout=5
    )
    assert requests.get(f"{api}/pulls/3", headers={"Authorization": "Bearer t"}, timeout=5).status_code == 502
    state = requests.get(f"{fake_url}/_fake/state", timeout=5).json()
    assert [c["body"] for c in state["comments"]["3"]] == ["hi"]
    assert [(r["method"], r["has_authorization"]) for r in state["requests"]] == [
        ("GET", False),
        ("POST", True),
        ("GET", True),
    ]
    assert all(r["headers"].get("authorization") in (None, "<redacted>") for r in state["requests"])
