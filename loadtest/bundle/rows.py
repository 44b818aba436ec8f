"""A row of results, whichever file it was read from: an endpoint or the aggregate, with its latency.

Both readers (stats_csv, locust_json) build these, so they live apart from the readers and from
``read_results``, which picks between them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

AGGREGATE = "Aggregated"
"""Locust's name for the row that sums every endpoint; the gate uses it for the run as a whole."""

PERCENTILES: Mapping[str, float] = {"p50": 0.50, "p75": 0.75, "p90": 0.90, "p95": 0.95, "p99": 0.99}
"""The response-time percentiles the gate knows, as fractions."""

LATENCY_METRICS: tuple[str, ...] = (*PERCENTILES, "avg", "max")
"""Response-time metrics in milliseconds, as EndpointStats.latency keys."""


@dataclass(frozen=True, kw_only=True)
class EndpointStats:
    """One row of results: an endpoint (``GET /api/dashboard/``) or the AGGREGATE."""

    name: str
    requests: int
    failures: int
    rps: float | None
    """Requests per second over the whole run: requests / run duration."""
    latency: Mapping[str, float | None] = field(default_factory=dict)
    """LATENCY_METRICS in ms; None where Locust recorded no value (no samples, or no such CSV column)."""
    histogram: Mapping[float, int] = field(default_factory=dict, repr=False, compare=False)
    """Locust's response-time histogram {rounded ms: requests}; empty when read from the stats CSV."""

    @property
    def failure_ratio(self) -> float:
        return self.failures / self.requests if self.requests else 0.0

    def value(self, metric: str) -> float | None:
        """A metric by name: requests, failures, failure_ratio, rps, or a LATENCY_METRICS key."""
        if metric in ("requests", "failures", "failure_ratio", "rps"):
            return getattr(self, metric)
        return self.latency.get(metric)


@dataclass(frozen=True, kw_only=True)
class FailureMessage:
    """One row of the failures CSV."""

    name: str
    error: str
    occurrences: int


def stats_name(method: str | None, name: str) -> str:
    """Locust's Type and Name as one key, ``GET /api/dashboard/``; a name led by its method is kept."""
    if not method or name.startswith(f"{method} "):
        return name
    return f"{method} {name}"


def histogram_percentile(histogram: Mapping[float, int], count: int, fraction: float) -> float:
    """The response time that ``fraction`` of ``count`` requests finished within.

    The same rule as Locust's ``calculate_response_time_percentile``, so that the numbers match
    Locust's own CSV and report: walk the buckets from the slowest down until no more than
    ``int(count * fraction)`` requests remain.
    """
    allowed_faster = int(count * fraction)
    processed = 0
    for bucket in sorted(histogram, reverse=True):
        processed += histogram[bucket]
        if count - processed <= allowed_faster:
            return bucket
    return 0.0


def sum_histograms(histograms: Iterable[Mapping[float, int]]) -> dict[float, int]:
    """The bucket-by-bucket sum of {ms: count} histograms (the aggregate's, from its endpoints')."""
    total: dict[float, int] = {}
    for histogram in histograms:
        for bucket, count in histogram.items():
            total[bucket] = total.get(bucket, 0) + count
    return total
