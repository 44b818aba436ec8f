"""What the gate found: one Finding per broken rule, and the verdict they add up to."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Level = Literal["warn", "fail"]
Verdict = Literal["pass", "warn", "fail"]

RUN = "run"
"""The scope of findings about the run as a whole rather than one row (e.g. a mismatched baseline)."""

_RANK = {"pass": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One broken rule, worded for the summary and kept as numbers for verdict.json."""

    level: Level
    scope: str
    """An endpoint's stats name, ``Aggregated``, or RUN."""
    kind: Literal["limit", "regression", "baseline", "run"]
    metric: str | None
    """The EndpointStats metric it marks (``p95``, ``rps``, ``failure_ratio``, ``requests``...)."""
    rule: str
    """The rule in words: ``p95 ≤ 500 ms``."""
    observed: str
    """What was seen, in words: ``812 ms`` or ``120 → 412 ms (+243%, +292 ms)``."""
    reason: str = ""
    value: float | None = None
    baseline: float | None = None
    limit: float | None = None
    source: str = ""
    """Where in thresholds.json the rule was set."""


def rank(verdict: str) -> int:
    return _RANK[verdict]


def verdict_of(findings: Iterable[Finding]) -> Verdict:
    worst: Verdict = "pass"
    for finding in findings:
        if rank(finding.level) > rank(worst):
            worst = finding.level
    return worst
