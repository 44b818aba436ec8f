"""Coverage: an endpoint the run was meant to exercise but that got no request is a finding."""

from pathlib import Path

import pytest

from loadtest import contract
from loadtest.bundle import AGGREGATE, EndpointStats, Results, RunFacts
from loadtest.gate.render import render_console, render_markdown
from loadtest.gate.report import GateReport
from loadtest.gate.rules import check_coverage
from loadtest.gate.thresholds import Coverage

EXPECTED = tuple(e.name for e in contract.API)
SILENT = contract.TOKEN_REFRESH.name


def row(name: str, requests: int = 50) -> EndpointStats:
    return EndpointStats(name=name, requests=requests, failures=0, rps=1.0, latency={"p95": 10.0})


def results(names, *, facts: RunFacts | None) -> Results:
    rows = {name: row(name) for name in names}
    return Results(
        source=Path("run"),
        facts=facts,
        aggregate=row(AGGREGATE, requests=50 * len(rows)),
        endpoints=rows,
        failures=(),
        percentiles_from="csv",
    )


def twelve_of_thirteen() -> Results:
    return results([n for n in EXPECTED if n != SILENT], facts=RunFacts(endpoints=EXPECTED))


def test_an_expected_endpoint_without_requests_is_a_warning_by_default():
    findings, notes = check_coverage(twelve_of_thirteen(), Coverage())
    assert [(f.level, f.scope, f.observed) for f in findings] == [
        ("warn", SILENT, "not exercised: 0 requests")
    ]
    assert notes == []


@pytest.mark.parametrize(("level", "count"), [("fail", 1), ("off", 0)])
def test_the_level_comes_from_the_thresholds(level, count):
    findings, _ = check_coverage(twelve_of_thirteen(), Coverage(level=level))
    assert len(findings) == count and all(f.level == level for f in findings)


def test_endpoints_the_tags_left_out_are_not_expected():
    run = results([contract.DASHBOARD.name], facts=RunFacts(endpoints=(contract.DASHBOARD.name,)))
    assert check_coverage(run, Coverage()) == ([], [])


def test_a_listed_endpoint_with_zero_requests_counts_too():
    run = twelve_of_thirteen()
    idle = {**run.endpoints, SILENT: row(SILENT, requests=0)}
    run = Results(**{**run.__dict__, "endpoints": idle})
    assert [f.scope for f in check_coverage(run, Coverage())[0]] == [SILENT]


def test_without_a_recorded_list_only_listed_endpoints_count_and_a_note_says_so():
    run = results([contract.DASHBOARD.name], facts=None)
    idle = Results(**{**run.__dict__, "endpoints": {**run.endpoints, SILENT: row(SILENT, requests=0)}})
    findings, notes = check_coverage(idle, Coverage())
    assert [f.scope for f in findings] == [SILENT]
    assert notes and "only on the endpoints Locust listed" in notes[0]


def test_the_console_and_the_summary_name_it_and_never_claim_all_endpoints():
    from datetime import UTC, datetime

    run = twelve_of_thirteen()
    findings, _ = check_coverage(run, Coverage())
    report = GateReport(
        results=run,
        baseline=None,
        preset="smoke",
        target="sandbox",
        thresholds=Path("thresholds.json"),
        findings=tuple(findings),
        notes=(),
        baseline_status="none",
        now=datetime(2026, 12, 1, tzinfo=UTC),
    )
    console, markdown = render_console(report), render_markdown(report)
    assert f"WARN: {SILENT}: not exercised: 0 requests" in console
    assert "all 12 endpoints" not in console + markdown and "PASS" not in console
    assert f"`{SILENT}`" in markdown and report.verdict == "warn"
