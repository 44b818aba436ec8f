"""The paired verdict of a head against its base (loadtest.gate.paired), on made-up side-tagged rows.

The histograms are built, not sampled: nothing here depends on chance or on the machine."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from loadtest.bundle import (
    AGGREGATE,
    EndpointStats,
    FailureMessage,
    Results,
    RunFacts,
    side_row,
    split_side_row,
)
from loadtest.gate import render_markdown, stats
from loadtest.gate.findings import Finding, server_ended
from loadtest.gate.paired import Method, judge_against_base
from loadtest.gate.paired_failures import SideCounts, failure_ratio_findings
from loadtest.gate.render import verdict_json
from loadtest.gate.render.headline import headline
from loadtest.gate.report import GateReport
from loadtest.gate.thresholds import load_thresholds
from loadtest.sides import SideChooser, block_side

ENDPOINTS = [f"GET /api/e{i}/" for i in range(8)]


def lognormal_histogram(median_ms: float, requests: int, *, sigma: float = 0.4) -> dict[float, int]:
    """Seeded lognormal draws, rounded to whole ms as Locust does: the same histogram every time."""
    rng = random.Random(f"{median_ms}-{requests}")
    histogram: dict[float, int] = {}
    for _ in range(requests):
        ms = float(round(median_ms * math.exp(rng.gauss(0.0, sigma))))
        histogram[ms] = histogram.get(ms, 0) + 1
    return histogram


def row(name: str, histogram: dict[float, int], failures: int = 0) -> EndpointStats:
    return EndpointStats(
        name=name, requests=sum(histogram.values()), failures=failures, rps=None, histogram=histogram
    )


def paired_run(head_factor: dict[str, float], *, offset: float = 1.0, failures=()) -> Results:
    """A paired-design run: every endpoint on both sides, the head's medians times its factor."""
    rows = {}
    for index, endpoint in enumerate(ENDPOINTS):
        requests = 2000 + 10 * index
        base = lognormal_histogram(50.0, requests)
        # The head's sample is a different draw (another request count), scaled by its factor.
        head = lognormal_histogram(50.0 * head_factor.get(endpoint, 1.0) * offset, requests + 1)
        rows[side_row(endpoint, "base")] = row(side_row(endpoint, "base"), base)
        rows[side_row(endpoint, "head")] = row(side_row(endpoint, "head"), head)
    return Results(
        source=Path("run"),
        facts=RunFacts(design="paired", base_git_commit="abc"),
        aggregate=EndpointStats(name=AGGREGATE, requests=1, failures=0, rps=None),
        endpoints=rows,
        failures=tuple(failures),
        percentiles_from="histograms",
    )


@pytest.fixture(scope="module")
def base_rule():
    rules = load_thresholds().rules_for(preset="smoke", target="external").regression
    assert rules.base is not None
    return rules.base


def test_side_rows_keep_the_endpoint_first_and_round_trip():
    assert side_row("GET /api/dashboard/", "head") == "GET /api/dashboard/ [head]"
    assert split_side_row("GET /api/dashboard/ [base#3]") == ("GET /api/dashboard/", "base", 3)
    assert split_side_row("GET /api/dashboard/ [head]") == ("GET /api/dashboard/", "head", None)
    assert split_side_row("GET /api/dashboard/") is None
    assert split_side_row("GET /x/ [other]") is None


def test_blocks_alternate_abba_and_the_paired_design_sends_each_task_to_both_sides():
    assert [block_side(b) for b in range(8)] == ["base", "head", "head", "base"] * 2
    chooser = SideChooser("paired", random.Random(1))
    orders = {tuple(chooser.sides_for_task(0.0)[0]) for _ in range(50)}
    assert orders == {("base", "head"), ("head", "base")}
    blocks = SideChooser("blocks", random.Random(1), block_s=10.0)
    assert blocks.sides_for_task(100.0, now=125.0) == (["head"], 2)
    with pytest.raises(ValueError, match="unknown design"):
        SideChooser("groups", random.Random(1))


def test_an_unchanged_head_passes(base_rule):
    verdict = judge_against_base(paired_run({}), base_rule)
    assert verdict.findings == []
    assert {change.row for change in verdict.changes} == {*ENDPOINTS, AGGREGATE}


def test_a_slower_endpoint_fails_with_its_ratio_and_interval(base_rule):
    verdict = judge_against_base(paired_run({ENDPOINTS[2]: 1.3}), base_rule)
    failed = [f for f in verdict.findings if f.level == "fail"]
    assert [f.scope for f in failed if f.scope != AGGREGATE] == [ENDPOINTS[2]]
    finding = next(f for f in failed if f.scope == ENDPOINTS[2])
    assert finding.source == "regression.base.fail"
    assert finding.observed.startswith("30% slower than the base (65 ms vs 50 ms, 95% interval +")
    assert finding.observed.endswith("), same runner")
    change = next(c for c in verdict.changes if c.row == ENDPOINTS[2])
    low, high = change.interval()
    assert low < 1.3 < high
    assert 1.2 < change.ratio < 1.4


def test_a_constant_offset_of_every_endpoint_is_taken_out_by_the_common_mode(base_rule):
    offset = paired_run({}, offset=1.04)
    with_common_mode = judge_against_base(offset, base_rule, method=Method(common_mode=True))
    assert not [f for f in with_common_mode.findings if f.scope != AGGREGATE]
    # Without it, 4% on every endpoint of 2,000 requests is beyond chance and the minimum effect,
    # with the servers' spread judged or not: a shift of every endpoint alike is no spread.
    for spread in (False, True):
        plain = judge_against_base(offset, base_rule, method=Method(common_mode=False, server_spread=spread))
        assert any(f.scope in ENDPOINTS and f.level == "fail" for f in plain.findings)


def test_a_500_only_on_the_head_is_a_finding_even_once(base_rule):
    failures = [
        FailureMessage(
            name=side_row(ENDPOINTS[1], "head"), error="expected HTTP 200, got 500 ...", occurrences=1
        ),
        FailureMessage(
            name=side_row(ENDPOINTS[3], "head"), error="expected HTTP 200, got 503 ...", occurrences=2
        ),
        FailureMessage(
            name=side_row(ENDPOINTS[3], "base"), error="expected HTTP 200, got 503 ...", occurrences=2
        ),
    ]
    verdict = judge_against_base(paired_run({}, failures=failures), base_rule)
    [finding] = verdict.findings
    assert (finding.scope, finding.level, finding.source) == (
        ENDPOINTS[1],
        "fail",
        "regression.base.new_error.fail",
    )
    assert "HTTP 500 on the head once" in finding.observed


def test_failures_rising_on_the_head_beyond_chance_fail(base_rule):
    run = paired_run({})
    rows = dict(run.endpoints)
    name = side_row(ENDPOINTS[0], "head")
    rows[name] = row(name, rows[name].histogram, failures=60)  # 3% against none on the base
    verdict = judge_against_base(Results(**{**vars(run), "endpoints": rows}), base_rule)
    [finding] = verdict.findings
    assert finding.metric == "failure_ratio" and finding.level == "fail"
    assert finding.source == "regression.base.failure_ratio.fail"


def test_blocks_are_paired_and_judged_from_their_spread(base_rule):
    rows = {}
    for endpoint in ENDPOINTS:
        for block in range(8):
            side = block_side(block)
            factor = 1.3 if side == "head" and endpoint == ENDPOINTS[5] else 1.0
            # A drift: every block slower than the one before, both sides alike.
            histogram = lognormal_histogram(50.0 * factor * (1 + 0.02 * block), 600 + block)
            rows[side_row(endpoint, side, block)] = row(side_row(endpoint, side, block), histogram)
    run = Results(
        source=Path("run"),
        facts=RunFacts(design="blocks"),
        aggregate=EndpointStats(name=AGGREGATE, requests=1, failures=0, rps=None),
        endpoints=rows,
        failures=(),
        percentiles_from="histograms",
    )
    verdict = judge_against_base(run, base_rule)
    change = next(c for c in verdict.changes if c.row == ENDPOINTS[5])
    assert change.df == 3  # four pairs of blocks
    assert 1.2 < change.ratio < 1.4
    assert [f.scope for f in verdict.findings if f.scope != AGGREGATE] == [ENDPOINTS[5]]


def report_against_base(run, base, *more: Finding) -> GateReport:
    """The gate's report of a paired run: the base's findings (and ``more``) as the run's."""
    return GateReport(
        results=run,
        baseline=None,
        preset="smoke",
        target="external",
        thresholds=Path("thresholds.json"),
        findings=(*base.findings, *more),
        notes=(),
        baseline_status="compared",
        now=datetime(2026, 12, 7, tzinfo=UTC),
        base=base,
    )


def test_the_summary_leads_with_the_head_against_the_base(base_rule):
    run = paired_run({ENDPOINTS[2]: 1.3})
    report = report_against_base(run, judge_against_base(run, base_rule))
    markdown = render_markdown(report)
    title = next(line for line in markdown.splitlines() if line.startswith("#### "))
    assert title.startswith(f"#### ❌ FAIL: {ENDPOINTS[2]} is 30% slower than the base (65 ms vs 50 ms, ")
    compared = "**Compared with:** commit `abc`, measured on the same runner in the same run (paired design)."
    assert compared in markdown
    row = next(line for line in markdown.splitlines() if line.startswith(f"| `{ENDPOINTS[2]}` ❌"))
    assert [cell.strip() for cell in row.split("|")[2:5]] == ["50", "65", "+30%"]
    verdict = verdict_json(report)
    assert (verdict["comparison"], verdict["base_git_commit"], verdict["design"]) == ("base", "abc", "paired")


def test_of_several_endpoints_slower_than_the_base_the_largest_change_leads(base_rule):
    # An N+1 query in one view makes the head's server busier, so other endpoints fail a little too:
    # the view's own change is the news, whatever order the endpoints come in.
    run = paired_run({ENDPOINTS[1]: 1.4, ENDPOINTS[6]: 3.5, ENDPOINTS[3]: 1.5})
    # Three of eight endpoints changed: more than the servers' spread leaves out (a quarter).
    report = report_against_base(run, judge_against_base(run, base_rule, method=Method(server_spread=False)))
    assert sum(f.level == "fail" and f.scope in ENDPOINTS for f in report.findings) == 3
    assert headline(report).startswith(f"FAIL: {ENDPOINTS[6]} is 244% slower than the base")


SERVERS_APART = {
    ENDPOINTS[0]: 1.06, ENDPOINTS[1]: 0.94, ENDPOINTS[2]: 1.05, ENDPOINTS[3]: 0.95,
    ENDPOINTS[4]: 1.07, ENDPOINTS[5]: 0.93,
}  # fmt: skip
"""Two servers of the same code whose endpoints differ by 5-7% either way (two databases, two query
plans): far beyond the sampling noise of 2,000 requests a side."""


def test_servers_that_differ_per_endpoint_widen_every_interval_and_a_real_slowdown_still_fails(base_rule):
    run = paired_run({**SERVERS_APART, ENDPOINTS[6]: 3.5})
    narrow = judge_against_base(run, base_rule, method=Method(server_spread=False))
    assert {ENDPOINTS[0], ENDPOINTS[4]} <= {f.scope for f in narrow.findings if f.level == "fail"}
    wide = judge_against_base(run, base_rule, method=Method(server_spread=True))
    assert [f.scope for f in wide.findings if f.level == "fail" and f.scope != AGGREGATE] == [ENDPOINTS[6]]
    assert any("spread" in note and "times as wide" in note for note in wide.notes)


def test_servers_that_differ_only_by_their_requests_noise_keep_their_intervals(base_rule):
    run = paired_run({ENDPOINTS[6]: 1.2})
    plain = judge_against_base(run, base_rule, method=Method(server_spread=False))
    spread = judge_against_base(run, base_rule, method=Method(server_spread=True))
    before = {c.row: c.variance for c in plain.changes}
    after = {c.row: c.variance for c in spread.changes}
    # Never narrowed; widened by at most the shrunk chance spread of 8 endpoints' noise.
    assert all(before[row] <= after[row] <= 1.5 * before[row] for row in before)


def test_the_trimmed_dispersion_of_standard_normal_scores_is_about_one_and_of_wider_ones_their_variance():
    rng = random.Random(7)
    for variance in (1.0, 4.0):
        estimates = [
            stats.trimmed_dispersion([rng.gauss(0, math.sqrt(variance)) for _ in range(200)])[0]
            for _ in range(200)
        ]
        assert 0.9 * variance < sum(estimates) / len(estimates) < 1.1 * variance
    # The largest quarter is left out: three endpoints that really moved do not count.
    calm = [0.1, -0.2, 0.3, 0.0, -0.1, 0.2, 0.1, -0.3, 0.0]
    assert stats.trimmed_dispersion([*calm, 40, -35, 50]) == stats.trimmed_dispersion([*calm, 0.5, -0.4, 0.6])


def test_a_lost_server_leads_the_headline_over_the_comparison_with_the_base(base_rule):
    # Once a side's API ended mid-run, its endpoints' figures against the other side are its
    # consequence, not the news: the run's own failure leads.
    run = paired_run({ENDPOINTS[2]: 2.2})
    base = judge_against_base(run, base_rule)
    report = report_against_base(run, base, server_ended("exit status 7", 12.0, 60.0, side="base"))
    assert any(f.source.startswith("regression.base") and f.level == "fail" for f in base.findings)
    assert headline(report).startswith("FAIL: the run lost the base's API server after 12 s")


def test_a_side_tagged_row_is_held_to_its_endpoints_own_limits():
    from loadtest.gate.rules import check_run

    rules = load_thresholds().rules_for(preset="smoke", target="external")
    # 2 s at p95: over the endpoint default (1.5 s), within the chat thread's own 3 s.
    slow = EndpointStats(
        name=side_row("POST /api/ai-assistant/chat/thread/", "head"),
        requests=100,
        failures=0,
        rps=None,
        latency={"p95": 2000.0},
    )
    run = Results(
        source=Path("run"),
        facts=RunFacts(design="paired"),
        aggregate=EndpointStats(name=AGGREGATE, requests=100, failures=0, rps=None),
        endpoints={slow.name: slow},
        failures=(),
        percentiles_from="csv",
    )
    findings, _ = check_run(run, rules)
    assert not [f for f in findings if f.scope == slow.name and f.metric == "p95" and f.value == 2000.0]


def test_failure_ratios_are_judged_with_holm_so_a_second_rise_is_not_lost_behind_the_first(base_rule):
    # Six endpoints fail clearly on the head (100 of 2,000 against none); a seventh's rise of 1.05%
    # (41 against 20) is beyond the tolerance (1%) with a p-value of about 0.005: Bonferroni judges every
    # endpoint at 2% / 8 = 0.25% and would only warn (5% / 8); Holm judges the seventh smallest p-value
    # at 2% / 2.
    counts = {name: SideCounts(2000, 0, 2000, 100) for name in ENDPOINTS[:6]}
    counts[ENDPOINTS[6]] = SideCounts(2000, 20, 2000, 41)
    counts[ENDPOINTS[7]] = SideCounts(2000, 3, 2000, 3)
    fail_rate = base_rule.latency.levels["fail"][0]
    assert fail_rate / len(counts) < counts[ENDPOINTS[6]].p_value() <= fail_rate / 2

    findings = failure_ratio_findings(counts, base_rule)

    assert [(f.scope, f.level) for f in findings] == [(name, "fail") for name in ENDPOINTS[:7]]


def test_a_failure_ratio_beyond_chance_but_within_the_tolerance_is_no_finding(base_rule):
    # 2,000 failures of 200,000 against 1,000: far beyond chance, but a rise of 0.5%, under the 1% to
    # fail; above the 0.2% to warn.
    counts = {ENDPOINTS[0]: SideCounts(200_000, 1000, 200_000, 2000)}
    [finding] = failure_ratio_findings(counts, base_rule)
    assert (finding.scope, finding.level) == (ENDPOINTS[0], "warn")
