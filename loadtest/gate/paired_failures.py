"""The paired verdict's failures: the head's failure ratio against its base's, and new error statuses.

* **failure ratio**: per endpoint, the head's failures as a share of both sides' failures, against
  its share of the requests (a one-sided binomial test: both sides failing alike is the null); a
  finding needs the tolerance of ``regression.base.failure_ratio`` AND Holm's step-down across the
  endpoints at the level's false-alarm rate (the latency tests' rate): the same family-wise rate as
  Bonferroni, but once the clearest endpoint is flagged the next is judged at alpha / (m - 1), not
  alpha / m, so a second endpoint that fails is not lost behind the first;
* **new errors**: an error status (5xx) only the head answered with is a finding at any volume.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from loadtest.bundle import Results, split_side_row
from loadtest.gate import stats
from loadtest.gate.findings import Finding
from loadtest.gate.regression_findings import failures_against_base, new_error_on_head
from loadtest.gate.thresholds import BaseRule

_STATUS = re.compile(r"\bgot (\d{3})\b")


@dataclass(frozen=True)
class SideCounts:
    """One endpoint's requests and failures on each side of the run."""

    base_requests: int
    base_failures: int
    head_requests: int
    head_failures: int

    def p_value(self) -> float:
        """How likely the head's share of the failures is this high when both sides fail alike."""
        failures = self.head_failures + self.base_failures
        head_share = self.head_requests / (self.head_requests + self.base_requests)
        return binomial_upper_p(self.head_failures, failures, head_share)

    def rise(self) -> float:
        """The head's failure ratio less the base's."""
        return self.head_failures / self.head_requests - self.base_failures / self.base_requests


def failure_findings(counts: Mapping[str, SideCounts], results: Results, rule: BaseRule) -> list[Finding]:
    """The head's failure ratio against the base's (Holm across endpoints), and the error statuses
    only the head answered with."""
    findings = failure_ratio_findings(counts, rule)
    if rule.new_error_level != "off":
        findings += _new_errors(results, rule.new_error_level)
    return findings


def failure_ratio_findings(counts: Mapping[str, SideCounts], rule: BaseRule) -> list[Finding]:
    """A finding per endpoint whose failure ratio rose by the tolerance and beyond chance (Holm)."""
    if rule.failure_ratio is None:
        return []
    tested = {name: c for name, c in counts.items() if c.head_requests and c.base_requests}
    names = list(tested)
    p_values = [tested[name].p_value() for name in names]
    decided: dict[str, Finding] = {}
    for level in ("fail", "warn"):
        tolerance = getattr(rule.failure_ratio, level)
        if not tolerance:
            continue
        rate = rule.latency.levels.get(level, (0.0,))[0]
        for name, p_value, alpha in zip(names, p_values, stats.holm_levels(p_values, rate), strict=True):
            side = tested[name]
            if name in decided or p_value > alpha or not tolerance.is_exceeded(math.inf, side.rise()):
                continue
            decided[name] = failures_against_base(
                level,
                name,
                head_ratio=side.head_failures / side.head_requests,
                base_ratio=side.base_failures / side.base_requests,
                tolerance=tolerance,
                reason=rule.reason,
            )
    return [decided[name] for name in names if name in decided]


def binomial_upper_p(successes: int, trials: int, probability: float) -> float:
    """P(X >= successes) for X ~ Binomial(trials, probability): the head's share of all failures
    when both sides fail alike (their shares of requests)."""
    if successes <= 0:
        return 1.0
    if probability >= 1:
        return 1.0
    log_p, log_q = math.log(probability), math.log1p(-probability)
    terms = [
        math.lgamma(trials + 1)
        - math.lgamma(k + 1)
        - math.lgamma(trials - k + 1)
        + k * log_p
        + (trials - k) * log_q
        for k in range(successes, trials + 1)
    ]
    top = max(terms)
    return min(1.0, math.exp(top) * math.fsum(math.exp(t - top) for t in terms))


def _new_errors(results: Results, level: str) -> list[Finding]:
    """5xx statuses in the head's failures of an endpoint that the base's failures never show."""
    seen: dict[tuple[str, str], dict[str, int]] = {}
    for failure in results.failures:
        split = split_side_row(failure.name)
        found = _STATUS.search(failure.error)
        if split is None or found is None or not found[1].startswith("5"):
            continue
        endpoint, side, _ = split
        counts = seen.setdefault((endpoint, found[1]), {})
        counts[side] = counts.get(side, 0) + failure.occurrences
    return [
        new_error_on_head(level, endpoint, status=status, occurrences=counts["head"])  # type: ignore[arg-type]
        for (endpoint, status), counts in sorted(seen.items())
        if counts.get("head") and not counts.get("base")
    ]
