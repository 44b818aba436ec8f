"""Locust's ``--json-file`` output: per-endpoint counts and response-time histograms.

The JSON has no aggregate: it is the sum of the endpoints' histograms, as in Locust itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtest.bundle.files import BundleError, quoted, read_json
from loadtest.bundle.rows import (
    AGGREGATE,
    PERCENTILES,
    EndpointStats,
    histogram_percentile,
    stats_name,
    sum_histograms,
)
from loadtest.bundle.typed_json import MAX_NUMBER, NUMBER_TEXT, bad_field, is_count, read_fields
from loadtest.text.untrusted import NAME_LIMIT, console_text

_NAME_KINDS = {"name": "str", "method": "str"}
_ENTRY_KINDS = {
    "num_requests": "count",
    "num_failures": "count",
    "num_none_requests": "count",
    "total_response_time": "non_negative",
    "max_response_time": "non_negative",
    "start_time": "non_negative",
    "last_request_timestamp": "non_negative",
}
_REQUIRED = ("num_requests", "num_failures", "total_response_time", "max_response_time", "start_time")


def read_histograms(
    path: Path, *, fallback_duration_s: float | None = None
) -> tuple[dict[str, EndpointStats], EndpointStats]:
    """Per-endpoint stats from Locust's ``--json-file`` output, percentiles computed from its histograms."""
    data = read_json(path)
    if not isinstance(data, list):
        found = type(data).__name__
        raise BundleError(f"{path}: expected a list of stats entries (Locust --json-file), found {found}")
    entries = [_HistogramEntry.parse(path, index, item) for index, item in enumerate(data)]
    starts = [entry.start_time for entry in entries]
    ends = [entry.last_request for entry in entries if entry.last_request is not None]
    duration_s = max(ends) - min(starts) if ends and starts else None
    if not duration_s or duration_s <= 0:
        duration_s = fallback_duration_s
    endpoints: dict[str, EndpointStats] = {}
    for entry in entries:
        if entry.name in endpoints:
            raise BundleError(f"{path}: {quoted(entry.name)} appears twice")
        endpoints[entry.name] = entry.stats(duration_s)
    return endpoints, _HistogramEntry.merge(AGGREGATE, entries).stats(duration_s)


@dataclass
class _HistogramEntry:
    name: str
    requests: int
    failures: int
    timed: int
    """Requests with a response time (Locust's num_requests - num_none_requests)."""
    total_ms: float
    max_ms: float
    histogram: dict[float, int]
    start_time: float
    last_request: float | None

    @classmethod
    def parse(cls, path: Path, index: int, item: Any) -> _HistogramEntry:
        where = f"{path}: entry {index}"
        names = read_fields(item, _NAME_KINDS, where, required=("name",))
        name = stats_name(names.get("method"), names["name"])
        where = f"{where} ({console_text(name, limit=NAME_LIMIT)})"
        get = read_fields(item, _ENTRY_KINDS, where, required=_REQUIRED)
        requests, failures = get["num_requests"], get["num_failures"]
        entry = cls(
            name=name,
            requests=requests,
            failures=failures,
            timed=requests - (get.get("num_none_requests") or 0),
            total_ms=get["total_response_time"],
            max_ms=get["max_response_time"],
            histogram=_histogram(item, "response_times", where),
            start_time=get["start_time"],
            last_request=get.get("last_request_timestamp"),
        )
        if failures > requests or entry.timed < 0:
            raise BundleError(f"{where}: counts do not add up (requests {requests}, failures {failures})")
        return entry

    @classmethod
    def merge(cls, name: str, entries: list[_HistogramEntry]) -> _HistogramEntry:
        ends = [entry.last_request for entry in entries if entry.last_request is not None]
        return cls(
            name=name,
            requests=sum(entry.requests for entry in entries),
            failures=sum(entry.failures for entry in entries),
            timed=sum(entry.timed for entry in entries),
            total_ms=sum(entry.total_ms for entry in entries),
            max_ms=max((entry.max_ms for entry in entries), default=0.0),
            histogram=sum_histograms(entry.histogram for entry in entries),
            start_time=min((entry.start_time for entry in entries), default=0.0),
            last_request=max(ends, default=None),
        )

    def stats(self, duration_s: float | None) -> EndpointStats:
        has_samples = self.timed > 0 and bool(self.histogram)
        latency: dict[str, float | None] = {
            metric: histogram_percentile(self.histogram, self.timed, fraction) if has_samples else None
            for metric, fraction in PERCENTILES.items()
        }
        latency["avg"] = self.total_ms / self.timed if has_samples else None
        latency["max"] = self.max_ms if has_samples else None
        rps = self.requests / duration_s if duration_s else None
        return EndpointStats(
            name=self.name,
            requests=self.requests,
            failures=self.failures,
            rps=rps,
            latency=latency,
            histogram=dict(self.histogram) if has_samples else {},
        )


def _histogram(item: dict, key: str, where: str) -> dict[float, int]:
    """Locust's {"rounded ms": count} as {ms: count}."""
    if key not in item:
        raise BundleError(f"{where}: field {key!r} is missing")
    value = item[key]
    if not isinstance(value, dict):
        raise bad_field(where, key, "an object of {response time: count}", value)
    histogram: dict[float, int] = {}
    for bucket, count in value.items():
        time_ms = float(bucket) if NUMBER_TEXT.fullmatch(bucket) else -1.0
        if not (0 <= time_ms <= MAX_NUMBER and is_count(count)):
            raise BundleError(f"{where}: field {key!r} has a bad bucket {quoted(bucket)}: {quoted(count)}")
        histogram[time_ms] = histogram.get(time_ms, 0) + count
    return histogram
