"""Runs that did not run their course: interrupted (the verdict is incomplete, exit 4, whatever the figures
say) or ended by a stop condition (a failure that names it); and percentiles of too few requests."""

from pathlib import Path

from loadtest.bundle import AGGREGATE, EndpointStats, Results
from loadtest.cli import compare as compare_command
from loadtest.exitcodes import ExitCode
from loadtest.gate import headline, render_console, render_markdown, run_gate, verdict_json
from loadtest.gate.regression import compare_with_baseline
from loadtest.gate.thresholds import RegressionRule, RegressionRules, Tolerance
from tests.conftest import GATE_FIXTURES
from tests.conftest import fixture_bundle_with as bundle_with
from tests.unit.test_gate_rules import results as results_of

THRESHOLDS = GATE_FIXTURES / "thresholds.json"
INTERRUPTED = {"interrupted": True, "signal": "SIGINT", "duration_s": 11.4}
STOPPED = {"stopped_by": "no successful request for 15 s", "stopped_at_s": 25.0, "duration_s": 26.0}


def gate(tmp_path: Path, name: str, **facts):
    return run_gate(
        bundle_with(tmp_path, name, **facts), baseline=GATE_FIXTURES / "baseline", thresholds_path=THRESHOLDS
    )


def test_an_interrupted_run_is_incomplete_even_when_its_figures_pass(tmp_path):
    report = gate(tmp_path, "pass", **INTERRUPTED)

    assert (report.verdict, report.exit_code) == ("incomplete", ExitCode.INCOMPLETE)
    assert headline(report) == "INCOMPLETE: interrupted after 11 s of 60 s (SIGINT), so not judged"
    assert render_markdown(report).splitlines()[2] == f"#### ⏹️ {headline(report)}"
    assert render_console(report).endswith("\n" + headline(report))
    assert verdict_json(report)["verdict"] == "incomplete" and verdict_json(report)["exit_code"] == 4


def test_an_interrupted_run_that_also_fails_is_still_incomplete_and_shows_its_findings(tmp_path):
    report = gate(tmp_path, "fail", **INTERRUPTED)

    assert (report.verdict, report.exit_code) == ("incomplete", ExitCode.INCOMPLETE)
    assert "| Endpoint | What moved | Now |" in render_markdown(report)


def test_compare_exits_4_for_an_interrupted_run(tmp_path, call_main):
    bundle = bundle_with(tmp_path, "pass", **INTERRUPTED)

    run = call_main(compare_command.main, bundle, "--thresholds", THRESHOLDS)

    assert run.returncode == ExitCode.INCOMPLETE, run.stderr
    assert "INCOMPLETE: interrupted after 11 s of 60 s (SIGINT)" in run.stdout


def test_a_stopped_run_fails_and_the_headline_names_the_condition_and_when(tmp_path):
    report = gate(tmp_path, "pass", **STOPPED)

    assert (report.verdict, report.exit_code) == ("fail", ExitCode.FAILED)
    (finding,) = report.findings
    assert (finding.kind, finding.source, finding.value) == ("run", "stop", 25.0)
    assert headline(report) == (
        "FAIL: the run stopped early after 25 s of 60 s: no successful request for 15 s"
    )


def test_the_stop_comes_first_in_the_headline_before_any_endpoint(tmp_path):
    report = gate(tmp_path, "fail", **STOPPED)

    assert headline(report).startswith("FAIL: the run stopped early after 25 s of 60 s: ")
    assert report.findings[0].source == "stop"


def row(name: str, requests: int, **latency: float) -> EndpointStats:
    return EndpointStats(name=name, requests=requests, failures=0, rps=1.0, latency=latency)


def results(*rows: EndpointStats) -> Results:
    total = row(AGGREGATE, sum(r.requests for r in rows), p50=1.0, p95=2.0, p99=2.0)
    return results_of(*rows, aggregate=total)


def test_a_p99_of_50_requests_is_not_compared_and_the_summary_says_so():
    # The e2e flake: one slow request of 50 is the whole p99 (2 ms -> 29 ms, +1350%).
    name = "POST /api/ai-assistant/create-collection/"
    latency = RegressionRule(
        kind="latency", warn=Tolerance(0.15, 5), fail=Tolerance(0.30, 10), metrics=("p50", "p95", "p99")
    )
    now = results(row(name, 50, p50=1.0, p95=2.0, p99=29.0))
    then = results(row(name, 50, p50=1.0, p95=2.0, p99=2.0))

    comparison = compare_with_baseline(now, then, RegressionRules(latency=latency), preset="smoke")

    assert comparison.findings == []
    assert comparison.notes[-1] == (
        "Not compared, fewer than 10 requests slower than the percentile in this run or the baseline: "
        "p95 and p99 on every row."
    )


def test_a_p50_of_50_requests_is_compared():
    name = "GET /api/dashboard/"
    latency = RegressionRule(kind="latency", warn=None, fail=Tolerance(0.30, 10), metrics=("p50", "p99"))
    now, then = results(row(name, 50, p50=40.0, p99=40.0)), results(row(name, 50, p50=2.0, p99=2.0))

    comparison = compare_with_baseline(now, then, RegressionRules(latency=latency), preset="smoke")

    assert [(f.scope, f.metric) for f in comparison.findings] == [(name, "p50")]
    assert comparison.notes[-1] == (
        "Not compared, fewer than 10 requests slower than the percentile in this run or the baseline: "
        "p99 on every row."
    )
