"""``loadtest run`` end to end: bundle layout, run facts, progress, bad input, unreachable targets,
secrets."""

import json
import os
import pty
import re
import select
import subprocess
import sys

import pytest
import requests

from loadtest import bundle, contract
from loadtest.presets import load_preset
from loadtest.sandbox import get_stats, running_sandbox
from tests.conftest import ROOT, child_environ, run_loadtest
from tests.integration.conftest import API_KEY

KEYED = {"LOADTEST_API_KEY": API_KEY}
SMOKE_S = 30
STATUS = re.compile(
    r"^progress: (?P<elapsed>\d+)s/(?P<planned>\d+)s users \d+ requests [\d,]+ [\d.,]+ req/s "
    r"failures [\d.]+% p95 (\d[\d,]* ms|-)$"
)
NO_LOAD_WITHIN_S = 55
"""A run the preflight did not stop would send the smoke preset's 60 s of load: it cannot end by then."""

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smoke_bundle(tmp_path_factory):
    """One smoke run against the stand-in API the runner starts itself, its output captured (no terminal)."""
    out = tmp_path_factory.mktemp("runs") / "smoke"
    proc = run_loadtest("run", "--preset", "smoke", "-t", f"{SMOKE_S}s", "--out", str(out), "--seed", "3")
    return proc, out


def test_smoke_run_writes_a_complete_bundle(smoke_bundle):
    proc, out = smoke_bundle
    assert proc.returncode in (0, 1), proc.stderr[-2000:]  # 1 only if the gate failed
    for name in (
        bundle.RUN_FACTS,
        bundle.STATS_CSV,
        bundle.HISTORY_CSV,
        bundle.FAILURES_CSV,
        bundle.EXCEPTIONS_CSV,
        bundle.HISTOGRAMS_JSON,
        bundle.HTML_REPORT,
        bundle.LOCUST_LOG,
        bundle.SUMMARY_MD,
        bundle.VERDICT_JSON,
        bundle.TREND_PAGE,
    ):
        assert (out / name).is_file(), f"bundle lacks {name}"
    assert f"results bundle: {out}" in proc.stdout


def test_run_facts_describe_the_run(smoke_bundle):
    _, out = smoke_bundle
    facts = json.loads((out / bundle.RUN_FACTS).read_text())
    assert (
        facts["preset"] == "smoke"
        and facts["users"] == load_preset("smoke").users
        and facts["run_time_s"] == SMOKE_S
    )
    assert facts["target"] == "sandbox" and facts["host"].startswith("http://127.0.0.1:")
    assert facts["exit_code"] == 0 and facts["seed"] == 3
    assert facts["started_at"] < facts["ended_at"]
    assert facts["locust_version"] == "2.47.0"
    assert facts["interrupted"] is False and facts["signal"] is None and facts["stopped_by"] is None
    assert facts["duration_s"] >= SMOKE_S


def test_run_facts_record_the_waits_locust_used(smoke_bundle):
    _, out = smoke_bundle
    facts = json.loads((out / bundle.RUN_FACTS).read_text())
    # The locustfile logs the waits it took from its options (here: from the preset's --config file).
    used = re.findall(r"users wait ([\d.]+)-([\d.]+) s between tasks", (out / bundle.LOCUST_LOG).read_text())
    assert used, "Locust's log does not say which waits its users took"
    assert {(float(low), float(high)) for low, high in used} == {(facts["wait_min_s"], facts["wait_max_s"])}


def test_the_runner_prints_the_gates_verdict_and_the_bundles_numbers(smoke_bundle):
    proc, out = smoke_bundle
    verdict = json.loads((out / bundle.VERDICT_JSON).read_text())
    lines = proc.stdout.splitlines()
    expected = f"Verdict: {verdict['verdict'].upper()} (" if verdict["findings"] else verdict["headline"]
    assert any(line.startswith(expected) for line in lines), proc.stdout[-2000:]
    # The gate's console table (not Locust's own, which splits method and path into two columns):
    # one row per endpoint and the aggregate, with the bundle's request and failure counts.
    results = bundle.read_results(out)
    for row in (results.aggregate, *results.endpoints.values()):
        shown = rf"^{re.escape(row.name)}\s+{row.requests:,}\s+{row.failures:,}\s"
        assert any(re.match(shown, line) for line in lines), f"no console row for {row.name}"


def test_a_captured_run_shows_a_status_line_in_every_10_s_and_none_of_locusts_chatter(smoke_bundle):
    proc, out = smoke_bundle
    statuses = [STATUS.match(line) for line in proc.stdout.splitlines() if line.startswith("progress: ")]
    assert statuses and all(statuses), proc.stdout
    elapsed = [int(status["elapsed"]) for status in statuses]
    assert {int(status["planned"]) for status in statuses} == {SMOKE_S}
    # From the lines' own elapsed fields: one in each 10 s of the run, and the last where it ended.
    for window in range(10, SMOKE_S, 10):
        assert any(window <= seconds < window + 10 for seconds in elapsed), elapsed
    # The last line is where the run ended: in its last 10 s, not to the second, since the watch's clock
    # starts at Locust's test_start, which a busy machine delays by seconds after the run-time clock.
    assert elapsed == sorted(elapsed) and elapsed[-1] >= SMOKE_S - 10
    assert "\r" not in proc.stdout
    # Locust's own INFO lines stay in locust.log.
    assert "All users spawned" not in proc.stdout
    assert "All users spawned" in (out / bundle.LOCUST_LOG).read_text(encoding="utf-8")


def test_on_a_terminal_the_status_line_is_rewritten_in_place(tmp_path):
    controller, terminal = pty.openpty()
    command = [
        sys.executable,
        "-m",
        "loadtest",
        "run",
        "--preset",
        "smoke",
        "-t",
        "5s",
        "--out",
        str(tmp_path / "b"),
    ]
    proc = subprocess.Popen(
        command, cwd=ROOT, env=child_environ(), stdin=terminal, stdout=terminal, stderr=terminal
    )
    os.close(terminal)
    shown = b""
    while True:  # read until the runner closes the terminal (EIO) or a minute passes in silence
        ready, _, _ = select.select([controller], [], [], 60)
        try:
            chunk = os.read(controller, 65536) if ready else b""
        except OSError:
            chunk = b""
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    assert proc.wait(timeout=60) in (0, 1)
    text = shown.decode()
    # One line on the screen, rewritten: a status line is followed by the next with no line break.
    assert re.search(r"\r\x1b\[Kprogress: [^\r\n]+\r\x1b\[Kprogress: ", text), text
    last = re.findall(r"\r\x1b\[K(progress: [^\r\n]*)", text)[-1]
    assert text[text.rindex(last) + len(last) :].startswith("\r\n"), "the runner ends the live line"


def test_custom_headless_run_with_html_copy(tmp_path):
    html = tmp_path / "report.html"
    out = tmp_path / "bundle"
    proc = run_loadtest(
        "run", "--headless", "-u", "3", "-r", "3", "-t", "5s", "--html", str(html), "--out", str(out)
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert html.read_text().startswith("<!DOCTYPE html>") or "<html" in html.read_text()[:500]
    assert json.loads((out / bundle.RUN_FACTS).read_text())["preset"] == "custom"


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--preset", "nope"], {}, "unknown preset 'nope'"),
        (["--preset", "smoke", "--host", "ftp://example"], {}, "is not a URL"),
        (["--preset", "smoke", "--host", "https://staging.example.com"], {}, "needs credentials"),
        (["--headless", "-u", "5"], {}, "needs -u USERS and -t RUN_TIME"),
        (["--preset", "smoke", "-t", "5 minutes"], {}, "cannot read the time"),
        (
            ["--medium", "--host", "http://127.0.0.1:9"],
            {"LOADTEST_PRODUCTION_HOSTS": "127.0.0.1"},
            "refusing",
        ),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(args, env, message):
    proc = run_loadtest("run", *args, env=env, timeout=30)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_occupied_out_folder_is_refused(tmp_path):
    (tmp_path / "keep.txt").write_text("earlier results")
    proc = run_loadtest("run", "--preset", "smoke", "--out", str(tmp_path), timeout=30)
    assert proc.returncode == 2 and "not empty" in proc.stderr
    assert (tmp_path / "keep.txt").read_text() == "earlier results"


def test_an_unreachable_target_fails_before_any_load(tmp_path):
    # Had Locust started, the 60 s smoke run would outlast the timeout.
    proc = run_loadtest(
        "run",
        "--preset",
        "smoke",
        "--host",
        "http://127.0.0.1:9",
        "--out",
        str(tmp_path / "b"),
        timeout=NO_LOAD_WITHIN_S,
    )
    assert proc.returncode == 3
    assert "unreachable" in proc.stderr and "no load was sent" in proc.stderr
    assert not (tmp_path / "b" / bundle.LOCUST_LOG).exists()


def test_a_target_that_fails_every_request_is_stopped_by_the_preflight(tmp_path):
    # The stand-in answers, but with faults that fail every request: no load is worth sending.
    with running_sandbox(api_key=API_KEY, admin=True, faults=[{"match": "*", "error_rate": 1.0}]) as url:
        proc = run_loadtest(
            "run", "--preset", "smoke", "--host", url, "--out", str(tmp_path / "b"), env=KEYED
        )
        served = get_stats(url)["requests_served"]
    assert proc.returncode == 3
    assert "sign-up answered 503" in proc.stderr and "the API is failing" in proc.stderr
    assert served == 1 and not (tmp_path / "b" / bundle.STATS_CSV).exists()


def test_a_missing_api_key_stops_the_run_before_any_load_with_one_line(tmp_path):
    with running_sandbox(api_key=API_KEY, admin=True) as url:
        proc = run_loadtest(
            "run",
            "--preset",
            "smoke",
            "--host",
            url,
            "--out",
            str(tmp_path / "b"),
            timeout=NO_LOAD_WITHIN_S,
        )
        served = get_stats(url)["requests_served"]
    assert proc.returncode == 3
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "LOADTEST_API_KEY is not set" in lines[0] and "403" in lines[0], proc.stderr
    assert served == 1, "only the preflight's one sign-up may reach the host"
    assert not (tmp_path / "b" / bundle.STATS_CSV).exists()


def test_secrets_never_reach_output_or_bundle(tmp_path):
    password = "Sup3r-Secret-Pa55word"
    api_key = "f3c9a1d2-secret-api-key"
    with running_sandbox(api_key=api_key) as url:
        account = {"email": "ci.user@example.org", "password": password}
        signed_up = requests.post(
            url + contract.SIGN_UP.path, json=account, headers={contract.API_KEY_HEADER: api_key}, timeout=5
        )
        assert signed_up.status_code == 201
        env = {"LOADTEST_EMAIL": account["email"], "LOADTEST_PASSWORD": password, "LOADTEST_API_KEY": api_key}
        out = tmp_path / "b"
        proc = run_loadtest("run", "--preset", "smoke", "-t", "4s", "--host", url, "--out", str(out), env=env)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    for secret in (password, api_key):
        assert secret not in proc.stdout + proc.stderr
        for path in out.iterdir():
            assert secret not in path.read_text(errors="replace"), f"{path.name} leaks a secret"
