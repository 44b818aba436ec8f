"""A run of the API started from a checkout (loadtest run --start), as the gate and the summary read it:
the run line names what was loaded, a server that ended during the run fails it, and its history is
kept apart from the stand-in's and a remote host's."""

from pathlib import Path

import pytest

from loadtest.bundle import RunFacts
from loadtest.cli import run as run_command
from loadtest.exitcodes import ExitCode
from loadtest.gate import headline, render_markdown, run_gate, verdict_json
from loadtest.gate.history import History, HistoryRun
from loadtest.text.untrusted import code_span
from tests.conftest import GATE_FIXTURES
from tests.conftest import fixture_bundle_with as bundle_with

THRESHOLDS = GATE_FIXTURES / "thresholds.json"
STARTED = {"target": "started", "server_commit": "abc1234" + "d" * 33, "start_command": "gunicorn"}


def gate(tmp_path: Path, **facts):
    return run_gate(bundle_with(tmp_path, "pass", **facts), thresholds_path=THRESHOLDS)


def run_line(report) -> str:
    lines = render_markdown(report).splitlines()
    return next(line for line in lines if line.startswith("**Load test ran:**"))


def test_the_run_line_says_the_api_was_started_on_the_runner_from_its_commit(tmp_path):
    line = run_line(gate(tmp_path, **STARTED))

    assert line.endswith("· 60 s · the API started on the runner from commit `abc1234`  ")
    assert "real host" not in line and "stand-in" not in line


@pytest.mark.parametrize(
    ("host", "said"),
    [
        ("http://127.0.0.1:8000", f"a host on loopback {code_span('127.0.0.1:8000')}"),
        ("http://localhost:9000", f"a host on loopback {code_span('localhost:9000')}"),
        ("https://staging.example.org", f"a remote host {code_span('staging.example.org')}"),
        ("http://[not-a-host", "a remote host (`LOADTEST_HOST`)"),
    ],
)
def test_a_host_on_loopback_is_described_as_such(tmp_path, host, said):
    assert f"· {said} · commit" in run_line(gate(tmp_path, target="external", host=host))


def test_a_server_that_ended_during_the_run_fails_it_and_is_named(tmp_path):
    report = gate(tmp_path, **STARTED, server_exit="killed by SIGKILL", server_exited_at_s=12.0)

    assert (report.verdict, report.exit_code) == ("fail", ExitCode.FAILED)
    assert headline(report) == "FAIL: the run lost its API server after 12 s of 60 s: killed by SIGKILL"
    finding = verdict_json(report)["findings"][0]
    assert finding["rule"] == "the API started on the runner serves the whole run"
    assert "server.log" in finding["reason"]


def test_the_history_of_started_runs_is_kept_apart_from_the_stand_ins_and_a_remote_hosts():
    runs = tuple(
        HistoryRun(facts=RunFacts(preset="smoke", target=t)) for t in ("sandbox", "external", "started")
    )

    kept, left_out = History(runs=runs).compatible_with(
        RunFacts(preset="smoke", target="started"), preset=None
    )

    assert [run.facts.target for run in kept.runs] == ["started"]
    assert left_out == ["target sandbox", "target external"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "gunicorn", "--host", "http://127.0.0.1:8000"], "give one of them"),
        (["--setup", "make"], "--setup prepares the API that --start starts: give --start too"),
        (["--start", "gunicorn", "--ready-path", "api/"], "--ready-path must start with /"),
        (["--start", "gunicorn", "--ready-timeout", "0"], "--ready-timeout must be above 0"),
        (["--start", "gunicorn", "--dir", "/nonexistent/checkout"], "no such folder"),
        (
            ["--start", "gunicorn", "--profile", "realistic"],
            "cannot apply to --host/LOADTEST_HOST or --start",
        ),
    ],
)
def test_inconsistent_server_options_are_one_clear_usage_error(call_main, monkeypatch, args, message):
    monkeypatch.delenv("LOADTEST_HOST", raising=False)
    run = call_main(run_command.main, "--preset", "smoke", *args)

    assert run.returncode == ExitCode.USAGE
    assert message in run.stderr and "Traceback" not in run.stderr


def test_start_and_loadtest_host_exclude_each_other_too(call_main, monkeypatch):
    monkeypatch.setenv("LOADTEST_HOST", "http://127.0.0.1:8000")

    run = call_main(run_command.main, "--preset", "smoke", "--start", "gunicorn")

    assert run.returncode == ExitCode.USAGE
    assert "--start starts the API on this machine and --host/LOADTEST_HOST names one elsewhere" in run.stderr
