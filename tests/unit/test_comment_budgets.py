"""The PR comment of a smoke run reads in ten seconds: its length, for a failing and a passing run.

A smoke run of the contract's 13 endpoints (seeded lognormal bundles, the same on every machine)
judged by the repository's own thresholds.json against 8 runs of history, as the issue that set
these budgets measured it: a failing comment at most 4,000 characters with its tables folded,
a passing one at most 2,500. tests/integration/test_trend_in_browser.py measures the same comments
as GitHub draws them (the first screen's contents).
"""

import random
import re

import pytest

from loadtest.contract import API
from loadtest.gate import render_markdown, run_gate
from loadtest.gate.render.headline import headline
from tests.conftest import ROOT
from tests.unit import test_gate_history_summary as seeded

DASHBOARD = "GET /api/dashboard/"
FAILING_BUDGET, PASSING_BUDGET = 4_000, 2_500
SMOKE_REQUESTS = {e.name: 900 if e.name == DASHBOARD else 300 for e in API}
"""About what the smoke preset makes (docs/gate.md: 239 to 1,133 requests an endpoint at 20 users in 60 s)."""


def smoke_comment(tmp_path, monkeypatch, *, slow: dict[str, float] | None = None):
    monkeypatch.setattr(seeded, "ENDPOINTS", SMOKE_REQUESTS)
    rng = random.Random(11)
    baseline = seeded.baseline_with_history(tmp_path, rng, 8)
    current = seeded.write_bundle(tmp_path / "current", rng, "c", slow=slow)
    report = run_gate(current, baseline=baseline, thresholds_path=ROOT / "thresholds.json", now=seeded.NOW)
    return report, render_markdown(report)


def test_a_failing_smoke_comment_says_the_answer_first_within_4000_characters(tmp_path, monkeypatch):
    report, comment = smoke_comment(tmp_path, monkeypatch, slow={DASHBOARD: 1.4})

    assert report.verdict == "fail"
    assert len(comment) <= FAILING_BUDGET, len(comment)
    first = comment.splitlines()[2]
    assert first == f"#### ❌ {headline(report)}"
    assert re.match(
        rf"FAIL: {DASHBOARD} is \d+% slower than usual: \d+ ms, usually \d+ ms \(8 runs\)", headline(report)
    )
    assert comment.count("<details>") == comment.count("</details>") >= 1 and "<details open>" not in comment


def test_a_passing_smoke_comment_fits_2500_characters(tmp_path, monkeypatch):
    report, comment = smoke_comment(tmp_path, monkeypatch)

    assert report.verdict == "pass"
    assert len(comment) <= PASSING_BUDGET, len(comment)
    assert "<details open>" not in comment


@pytest.mark.parametrize("slow", [{DASHBOARD: 1.4}, None])
def test_no_reason_is_written_twice(tmp_path, monkeypatch, slow):
    report, comment = smoke_comment(tmp_path, monkeypatch, slow=slow)

    for reason in {finding.reason for finding in report.findings if finding.reason}:
        assert comment.count(reason[:60]) == 1, reason
