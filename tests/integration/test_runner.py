"""scripts/run_tests.py end to end: bundle layout, run facts, bad input, unreachable targets, secrets."""

import json
import re
import time

import pytest
import requests

from loadtest import bundle, contract
from loadtest.sandbox import get_stats, running_sandbox
from tests.conftest import run_script
from tests.integration.conftest import API_KEY

KEYED = {"LOADTEST_API_KEY": API_KEY}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def smoke_bundle(tmp_path_factory):
    """One short smoke run against the stand-in API the runner starts itself."""
    out = tmp_path_factory.mktemp("runs") / "smoke"
    proc = run_script("run_tests.py", "--preset", "smoke", "-t", "10s", "--out", str(out), "--seed", "3")
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
    assert facts["preset"] == "smoke" and facts["users"] == 10 and facts["run_time_s"] == 10
    assert facts["target"] == "sandbox" and facts["host"].startswith("http://127.0.0.1:")
    assert facts["exit_code"] == 0 and facts["seed"] == 3
    assert facts["started_at"] < facts["ended_at"]
    assert facts["locust_version"] == "2.47.0"


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


def test_custom_headless_run_with_html_copy(tmp_path):
    html = tmp_path / "report.html"
    out = tmp_path / "bundle"
    proc = run_script(
        "run_tests.py", "--headless", "-u", "3", "-r", "3", "-t", "5s", "--html", str(html), "--out", str(out)
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
    proc = run_script("run_tests.py", *args, env=env, timeout=30)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_occupied_out_folder_is_refused(tmp_path):
    (tmp_path / "keep.txt").write_text("earlier results")
    proc = run_script("run_tests.py", "--preset", "smoke", "--out", str(tmp_path), timeout=30)
    assert proc.returncode == 2 and "not empty" in proc.stderr
    assert (tmp_path / "keep.txt").read_text() == "earlier results"


def test_an_unreachable_target_fails_within_seconds(tmp_path):
    started = time.monotonic()
    proc = run_script(
        "run_tests.py", "--preset", "smoke", "--host", "http://127.0.0.1:9", "--out", str(tmp_path / "b")
    )
    assert proc.returncode == 3
    assert "unreachable" in proc.stderr and "no load was sent" in proc.stderr
    assert time.monotonic() - started < 30


def test_a_target_that_fails_every_request_is_stopped_by_the_preflight(tmp_path):
    # The stand-in answers, but with faults that fail every request: no load is worth sending.
    with running_sandbox(api_key=API_KEY, admin=True, faults=[{"match": "*", "error_rate": 1.0}]) as url:
        proc = run_script(
            "run_tests.py", "--preset", "smoke", "--host", url, "--out", str(tmp_path / "b"), env=KEYED
        )
        served = get_stats(url)["requests_served"]
    assert proc.returncode == 3
    assert "sign-up answered 503" in proc.stderr and "the API is failing" in proc.stderr
    assert served == 1 and not (tmp_path / "b" / bundle.STATS_CSV).exists()


def test_a_missing_api_key_stops_the_run_in_seconds_with_one_line(tmp_path):
    started = time.monotonic()
    with running_sandbox(api_key=API_KEY, admin=True) as url:
        proc = run_script("run_tests.py", "--preset", "smoke", "--host", url, "--out", str(tmp_path / "b"))
        served = get_stats(url)["requests_served"]
    assert proc.returncode == 3
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "LOADTEST_API_KEY is not set" in lines[0] and "403" in lines[0], proc.stderr
    assert time.monotonic() - started < 10 + 5  # the run's own 10 s, plus starting the stand-in here
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
        proc = run_script(
            "run_tests.py", "--preset", "smoke", "-t", "4s", "--host", url, "--out", str(out), env=env
        )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    for secret in (password, api_key):
        assert secret not in proc.stdout + proc.stderr
        for path in out.iterdir():
            assert secret not in path.read_text(errors="replace"), f"{path.name} leaks a secret"
