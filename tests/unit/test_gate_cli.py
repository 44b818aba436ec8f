"""``loadtest compare`` (scripts/compare.py) as the workflows call it: exit codes, stdout, output files,
and clean errors; its ``main`` runs here, as the shim would run it."""

import json
import os
import queue
import threading
from pathlib import Path

import pytest

from loadtest.cli import compare as compare_command
from loadtest.gate import DEFAULT_THRESHOLDS
from tests.conftest import GATE_FIXTURES

THRESHOLDS = GATE_FIXTURES / "thresholds.json"
STATS_HEADER = (GATE_FIXTURES / "pass" / "locust_stats.csv").read_text().splitlines()[0]


@pytest.fixture
def compare(call_main):
    """``loadtest compare ARGS`` with ``env`` added: its exit code, stdout and stderr."""
    return lambda *args, env=None: call_main(compare_command.main, *args, env=env)


@pytest.mark.parametrize(("results", "code"), [("pass", 0), ("warn", 0), ("fail", 1)])
def test_exit_code_is_0_for_pass_and_warn_and_1_for_fail(results, code, compare):
    run = compare(
        GATE_FIXTURES / results, "--baseline", GATE_FIXTURES / "baseline", "--thresholds", THRESHOLDS
    )

    assert run.returncode == code, run.stderr
    assert run.stdout.startswith("<!-- amal-loadtest-summary -->\n")
    assert run.stderr == ""


def test_an_empty_baseline_means_no_baseline(compare):
    run = compare(GATE_FIXTURES / "pass", "--baseline", "", "--thresholds", THRESHOLDS)

    assert run.returncode == 0, run.stderr
    assert "**Compared with:** nothing: no baseline, absolute limits only." in run.stdout


def test_empty_thresholds_mean_the_repositorys_own(tmp_path, compare):
    # The action passes its thresholds input through, empty when the caller gives none.
    for name, thresholds in (("ours", DEFAULT_THRESHOLDS), ("empty", ""), ("fixture", THRESHOLDS)):
        ran = compare(GATE_FIXTURES / "fail", "--thresholds", thresholds, "--json", tmp_path / name)
        assert ran.stderr == ""

    def verdict(name: str) -> dict:
        return json.loads((tmp_path / name).read_text(encoding="utf-8"))

    assert verdict("empty") == verdict("ours") != verdict("fixture")


def test_summary_and_json_files_hold_the_verdict(tmp_path, compare):
    summary, verdict = tmp_path / "out" / "summary.md", tmp_path / "out" / "verdict.json"

    run = compare(
        GATE_FIXTURES / "fail",
        "--baseline",
        GATE_FIXTURES / "baseline",
        "--thresholds",
        THRESHOLDS,
        "--summary",
        summary,
        "--json",
        verdict,
    )

    assert run.returncode == 1
    assert summary.read_text() == run.stdout
    data = json.loads(verdict.read_text())
    assert (data["verdict"], data["exit_code"], data["baseline_status"]) == ("fail", 1, "compared")
    assert data["findings"][0] == {
        "level": "fail",
        "scope": "GET /api/dashboard/",
        "kind": "limit",
        "metric": "p95",
        "rule": "p95 ≤ 500 ms",
        "observed": "620 ms",
        "value": 620.0,
        "limit": 500.0,
        "source": "defaults.endpoint.p95",
    }
    assert data["endpoints"]["GET /api/dashboard/"]["p95"] == 620
    assert sorted(path.name for path in summary.parent.iterdir()) == ["summary.md", "verdict.json"]


def test_preset_option_overrides_the_recorded_preset(tmp_path, compare):
    run = compare(GATE_FIXTURES / "pass", "--preset", "stress", "--json", tmp_path / "verdict.json")

    assert run.returncode == 0
    assert "preset `stress`" in run.stdout
    assert json.loads((tmp_path / "verdict.json").read_text())["preset"] == "stress"


def test_output_to_a_pipe_is_written_in_place_not_replaced(tmp_path, compare):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    read = queue.Queue()
    threading.Thread(target=lambda: read.put(fifo.read_text()), daemon=True).start()

    run = compare(GATE_FIXTURES / "pass", "--thresholds", THRESHOLDS, "--summary", fifo)

    assert run.returncode == 0
    assert read.get(timeout=30) == run.stdout
    assert fifo.is_fifo()


def test_github_actions_gets_annotations_and_the_verdict_output(tmp_path, compare):
    output = tmp_path / "github_output"
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "s.md"),
    }

    run = compare(
        GATE_FIXTURES / "fail", "--baseline", GATE_FIXTURES / "baseline", "--thresholds", THRESHOLDS, env=env
    )

    assert run.returncode == 1
    assert "::error title=GET /api/dashboard/::GET /api/dashboard/: 620 ms breaks p95 ≤ 500 ms." in run.stdout
    assert output.read_text() == "verdict=fail\n"


def _bundle(tmp_path: Path, **files: str) -> Path:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    for name, text in files.items():
        (bundle / name.replace("__", ".")).write_text(text)
    return bundle


BAD_INPUTS = {
    "missing-results": (
        lambda tmp: [tmp / "nowhere"],
        "results: {tmp}/nowhere: not a results bundle or CSV prefix",
    ),
    "empty-csv": (
        lambda tmp: [_bundle(tmp, locust_stats__csv="")],
        "results: {tmp}/bundle/locust_stats.csv: the file is empty: not a Locust stats CSV",
    ),
    "foreign-csv": (
        lambda tmp: [_bundle(tmp, locust_stats__csv="date,amount\n2026-01-01,3\n")],
        "results: {tmp}/bundle/locust_stats.csv: line 1: not a Locust stats CSV header (missing Type, Name,",
    ),
    "non-numeric-cell": (
        lambda tmp: [
            _bundle(tmp, locust_stats__csv=f"{STATS_HEADER}\n,Aggregated,9,0,1,1,1,1,1,1,0,{'x,' * 10}x\n")
        ],
        "results: {tmp}/bundle/locust_stats.csv: line 2: column '50%' is not a number: 'x'",
    ),
    "baseline-not-a-bundle": (
        lambda tmp: [GATE_FIXTURES / "pass", "--baseline", tmp],
        "baseline: {tmp}: not a results bundle: locust_stats.csv is missing",
    ),
    "invalid-thresholds-json": (
        lambda tmp: [GATE_FIXTURES / "pass", "--thresholds", _write(tmp / "t.json", "{,}")],
        "{tmp}/t.json: line 1: invalid JSON: Expecting property name enclosed in double quotes",
    ),
    "unknown-metric": (
        lambda tmp: [
            GATE_FIXTURES / "pass",
            "--thresholds",
            _write(tmp / "t.json", '{"defaults": {"endpoint": {"p999": 1}}}'),
        ],
        "{tmp}/t.json: field $.defaults.endpoint: unknown key 'p999'",
    ),
    "negative-limit": (
        lambda tmp: [
            GATE_FIXTURES / "pass",
            "--thresholds",
            _write(tmp / "t.json", '{"defaults": {"aggregate": {"p95": -3}}}'),
        ],
        "{tmp}/t.json: field $.defaults.aggregate.p95: -3 is less than the minimum of 0",
    ),
    "invalid-run-json": (
        lambda tmp: [
            _bundle(
                tmp,
                locust_stats__csv=(GATE_FIXTURES / "pass" / "locust_stats.csv").read_text(),
                run__json="{",
            )
        ],
        "results: {tmp}/bundle/run.json: line 1: invalid JSON",
    ),
}


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_unusable_input_exits_2_with_one_clear_line(tmp_path, case, compare):
    make_args, message = BAD_INPUTS[case]

    run = compare(*make_args(tmp_path))

    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.startswith("compare: error: " + message.format(tmp=tmp_path))
    assert run.stderr.count("\n") == 1
    assert "Traceback" not in run.stderr


def test_usage_errors_exit_2(compare):
    run = compare("--no-such-option")

    assert run.returncode == 2
    assert "compare: error:" in run.stderr and "Traceback" not in run.stderr


def test_an_error_never_overwrites_earlier_output(tmp_path, compare):
    summary, verdict = tmp_path / "summary.md", tmp_path / "verdict.json"
    summary.write_text("earlier summary")
    verdict.write_text("{}")

    run = compare(tmp_path / "nowhere", "--summary", summary, "--json", verdict)

    assert run.returncode == 2
    assert (summary.read_text(), verdict.read_text()) == ("earlier summary", "{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.md", "verdict.json"]


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
