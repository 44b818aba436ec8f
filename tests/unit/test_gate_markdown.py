"""The summary as a reviewer reads it: exact markdown for each kind of outcome.

The expected summaries are tests/fixtures/gate/expected/*.md, readable as they render. Fixture
bundles, a fixed `now` and tests/fixtures/gate/thresholds.json keep them deterministic and
independent of the real thresholds.json.
"""

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from loadtest.bundle import side_row
from loadtest.gate import MAX_SUMMARY_CHARS, SUMMARY_MARKER, render_console, render_markdown, run_gate
from loadtest.gate.findings import limit_uncertain
from loadtest.gate.paired import BaseComparison
from loadtest.gate.render.context import describe_target
from loadtest.gate.render.headline import COMPARISONS, Comparison, headline
from loadtest.gate.stats import SampleInterval
from loadtest.gate.thresholds import Limit
from loadtest.text.summary_limits import TRIM_NOTE
from loadtest.text.untrusted import NAME_LIMIT, code_span
from tests.conftest import GATE_FIXTURES

NOW = datetime(2026, 11, 25, 11, 34, tzinfo=UTC)


def gate(results: str, baseline: str | None = None):
    return run_gate(
        GATE_FIXTURES / results,
        baseline=GATE_FIXTURES / baseline if baseline else None,
        thresholds_path=GATE_FIXTURES / "thresholds.json",
        now=NOW,
    )


def expected(name: str) -> str:
    return (GATE_FIXTURES / "expected" / f"{name}.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("results", "baseline", "summary"),
    [
        ("pass", "baseline", "pass"),
        ("warn", "baseline", "warn"),
        ("fail", "baseline", "fail"),
        ("pass", None, "no-baseline"),
        ("pass", "baseline-50-users", "mismatched-baseline"),
    ],
)
def test_summary_markdown(results, baseline, summary):
    assert render_markdown(gate(results, baseline)) == expected(summary)


def test_a_summary_over_its_limit_drops_the_least_important_parts_and_says_so():
    assert render_markdown(gate("fail", "baseline"), max_chars=2300) == expected("trimmed")


def test_verdicts_and_exit_codes_follow_the_worst_finding():
    outcomes = {name: gate(name, "baseline") for name in ("pass", "warn", "fail")}

    assert {name: (r.verdict, r.exit_code) for name, r in outcomes.items()} == {
        "pass": ("pass", 0),
        "warn": ("warn", 0),
        "fail": ("fail", 1),
    }


HUGE_RUN_ENDPOINTS = 300
"""Endpoints of the huge run, each failing with a 500-character error: untrimmed, its summary is 2.5
times the limit (151,093 characters). More cost time and check nothing more: the gate's work grows with
the square of the endpoints (900 took 3.8 s)."""


def test_a_huge_run_still_fits_a_github_comment(tmp_path):
    header = (GATE_FIXTURES / "fail" / "locust_stats.csv").read_text().splitlines()[0]
    cells = ",".join(["900"] * 11)
    rows = [
        f"GET,/api/item-{i:04d}-{'x' * 60}/,100,50,900,900,1,9000,2.0,1.0,0.5,{cells}"
        for i in range(HUGE_RUN_ENDPOINTS)
    ]
    aggregate = f",Aggregated,90000,45000,900,900,1,9000,2.0,900.0,450.0,{cells}"
    failures = [f'GET,/api/item-{i:04d}/,"{"E" * 500}",50,x,y' for i in range(HUGE_RUN_ENDPOINTS)]
    bundle = tmp_path / "huge"
    bundle.mkdir()
    (bundle / "locust_stats.csv").write_text("\n".join([header, *rows, aggregate]) + "\n")
    (bundle / "locust_failures.csv").write_text(
        "Method,Name,Error,Occurrences,First Seen,Last Seen\n" + "\n".join(failures)
    )

    report = run_gate(bundle, thresholds_path=GATE_FIXTURES / "thresholds.json", now=NOW)
    markdown = render_markdown(report)

    assert report.verdict == "fail"
    assert len(render_markdown(report, max_chars=10**9)) > 2 * MAX_SUMMARY_CHARS, "huge: far over the limit"
    assert len(markdown) <= MAX_SUMMARY_CHARS
    assert markdown.startswith(SUMMARY_MARKER + "\n")
    assert "**Trimmed** to stay under GitHub's comment limit" in markdown
    assert markdown.rstrip().endswith("</sub>")


def test_a_name_of_70000_characters_is_cut_everywhere_so_the_summary_needs_no_trimming(tmp_path):
    """The headline and the tables name the worst endpoint, whose name the PR chooses: cut to NAME_LIMIT."""
    header = (GATE_FIXTURES / "fail" / "locust_stats.csv").read_text().splitlines()[0]
    cells = ",".join(["900"] * 11)
    bundle = tmp_path / "long-name"
    bundle.mkdir()
    (bundle / "locust_stats.csv").write_text(
        f"{header}\nGET,/api/{'x' * 70_000}/,100,0,900,900,1,9000,2.0,1.0,0.0,{cells}\n"
        f",Aggregated,100,0,900,900,1,9000,2.0,1.0,0.0,{cells}\n"
    )

    markdown = render_markdown(gate_at(bundle))

    shown = "GET /api/" + "x" * (NAME_LIMIT - len("GET /api/") - 1) + "…"
    assert markdown.startswith(f"{SUMMARY_MARKER}\n\n#### ❌ FAIL: {shown} p95 is 900 ms, over its limit")
    assert f"`{shown}`" in markdown and "x" * NAME_LIMIT not in markdown
    assert len(markdown) < 5_000 and TRIM_NOTE not in markdown


def test_table_cells_cannot_break_the_table(tmp_path):
    bundle = tmp_path / "pipes"
    bundle.mkdir()
    for name in ("locust_stats.csv", "run.json"):
        (bundle / name).write_text((GATE_FIXTURES / "fail" / name).read_text())
    failure = 'GET,/api/dashboard/,"bad | pipe\nand a newline",3,x,y'
    (bundle / "locust_failures.csv").write_text(
        f"Method,Name,Error,Occurrences,First Seen,Last Seen\n{failure}\n"
    )

    markdown = render_markdown(gate_at(bundle))

    assert "| `GET /api/dashboard/` | bad \\| pipe\\\\nand a newline | 3" in markdown.replace("  ", " ")


def gate_at(bundle: Path):
    return run_gate(bundle, thresholds_path=GATE_FIXTURES / "thresholds.json", now=NOW)


CONSOLE_WARN = """\
Endpoint                             Requests    Failures    Req/s    p50 (ms)    p95 (ms)    p99 (ms)
---------------------------------  ----------  ----------  -------  ----------  ----------  ----------
Aggregated                              2,390           0     39.8          46         251         321
GET /api/dashboard/v2/search/             600           0     10.0          62         118         135
POST /api/accounts/sign-in/               300           0     5.00         201         302         351
GET /api/dashboard/                     1,190           0     19.8          40          71          91
POST /api/help-center/contact-us/         300           0     5.00          31          50          61

  WARN: GET /api/dashboard/v2/search/: p95 100 ms → 118 ms (+18%, +18 ms)
Verdict: WARN (0 failures, 1 warning)"""


def test_console_table_for_a_terminal():
    assert render_console(gate("warn", "baseline")) == CONSOLE_WARN


@pytest.mark.parametrize(
    ("facts", "shown"),
    [
        ({"target": "sandbox"}, "the stand-in API"),
        ({"target": "external", "host": "http://127.0.0.1:8000"}, "a host on loopback `127.0.0.1:8000`"),
        ({"target": "external", "host": "http://localhost:8000/api"}, "a host on loopback `localhost:8000`"),
        (
            {"target": "external", "host": "http://[::1]:8000"},
            f"a host on loopback {code_span('[::1]:8000')}",
        ),
        (
            {"target": "external", "host": "https://staging.example.org"},
            "a remote host `staging.example.org`",
        ),
        ({"target": "external", "host": "http://u:secret@10.0.0.5"}, "a remote host `10.0.0.5`"),
        ({"target": "external"}, "a remote host (`LOADTEST_HOST`)"),
        (
            {"target": "started", "server_commit": "abcdef0123456789"},
            "the API started on the runner from commit `abcdef0`",
        ),
        ({"target": "started"}, "the API started on the runner from an unknown commit"),
    ],
)
def test_the_run_line_describes_the_target_truly(facts, shown):
    """run.json's ``target`` and ``host`` (and ``server_commit`` when the run started the API)."""
    assert describe_target(SimpleNamespace(**{"host": None, **facts})) == shown


def test_the_headline_names_the_worst_finding_in_plain_words_then_how_many_more():
    assert headline(gate("fail", "baseline")) == (
        "FAIL: GET /api/dashboard/ p95 is 620 ms, over its limit of 500 ms and 9 more failures and 1 warning"
    )
    assert headline(gate("warn", "baseline")) == (
        "WARN: GET /api/dashboard/v2/search/ p95 is 18% slower than the baseline run: 118 ms, was 100 ms"
    )


def test_a_new_kind_of_comparison_plugs_its_own_words_into_the_headline(monkeypatch):
    base = Comparison(
        "than the base",
        "base",
        "Base",
        phrase=lambda report, f, text: (
            f"is 23% slower than the base ({f.value:.0f} ms vs {f.baseline:.0f} ms)"
        ),
    )
    monkeypatch.setitem(COMPARISONS, "regression.base", base)
    report = gate("warn", "baseline")
    (finding,) = report.findings
    paired = replace(report, findings=(replace(finding, source="regression.base.warn"),))

    assert (
        headline(paired)
        == "WARN: GET /api/dashboard/v2/search/ p95 is 23% slower than the base (118 ms vs 100 ms)"
    )
    assert "| Base |" in render_markdown(paired).splitlines()[7]


def test_a_pass_against_the_base_says_so_and_counts_each_endpoint_once():
    report = gate("pass", "baseline")
    rows = report.results.endpoints
    sided = {side_row(name, side): row for name, row in rows.items() for side in ("base", "head")}
    paired = replace(
        report, results=replace(report.results, endpoints=sided), base=BaseComparison(design="paired")
    )

    within = f"all {len(rows)} endpoints and the aggregate within limits"
    assert headline(paired) == f"PASS: {within}; none slower than the base, same runner"


def test_a_limit_the_sample_cannot_settle_says_so_in_the_headline_and_the_table():
    limit = Limit(metric="p95", value=500.0, reason="Budget.")
    interval = SampleInterval(low=430.0, high=700.0, confidence=0.95, requests=230, needed=900)
    report = gate("pass", "baseline")
    unsure = replace(
        report, findings=(limit_uncertain("GET /api/x/", "p95", 520.0, limit, interval, "Why."),)
    )

    assert (
        headline(unsure)
        == "WARN: GET /api/x/ p95 is 520 ms, over its limit of 500 ms, but too few requests to tell"
    )
    row = next(
        line for line in render_markdown(unsure).splitlines() if line.startswith("| ⚠️ | `GET /api/x/`")
    )
    assert "95% interval 430–700 ms from 230 requests reaches the limit" in row and "≤ 500 ms |" in row
