"""The results bundle: the one definition of its layout.

A bundle is the folder one headless run writes (``results/<preset>-<UTC timestamp>/``)::

    run.json                     facts about the run (see RunFacts)
    locust_stats.csv             Locust --csv PREFIX output, PREFIX = <bundle>/locust
    locust_stats_history.csv
    locust_failures.csv
    locust_exceptions.csv
    locust.json                  Locust --json-file output: per-endpoint response-time histograms
    report.html                  Locust --html report
    locust.log                   Locust's own log
    summary.md                   the gate's markdown summary (written after the run)
    verdict.json                 the gate's machine-readable verdict
    history.json                 only in baseline bundles: rolling history of earlier runs

The compare step, the workflows and the baseline artifacts all read this
layout; nothing else spells these file names.

``read_results`` is the one reader: it takes a bundle folder or the CSV prefix
of a plain ``locust --csv PREFIX [--json-file PREFIX]`` run and returns the
numbers the gate judges, or raises ``BundleError`` with a one-line message.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CSV_PREFIX_NAME = "locust"
RUN_FACTS = "run.json"
STATS_CSV = f"{CSV_PREFIX_NAME}_stats.csv"
HISTORY_CSV = f"{CSV_PREFIX_NAME}_stats_history.csv"
FAILURES_CSV = f"{CSV_PREFIX_NAME}_failures.csv"
EXCEPTIONS_CSV = f"{CSV_PREFIX_NAME}_exceptions.csv"
HISTOGRAMS_JSON = f"{CSV_PREFIX_NAME}.json"
HTML_REPORT = "report.html"
LOCUST_LOG = "locust.log"
SUMMARY_MD = "summary.md"
VERDICT_JSON = "verdict.json"
BASELINE_HISTORY = "history.json"


def csv_prefix(bundle_dir: Path) -> Path:
    """The ``--csv`` / ``--json-file`` prefix Locust is given for a bundle."""
    return bundle_dir / CSV_PREFIX_NAME


AGGREGATE = "Aggregated"
"""Locust's name for the row that sums every endpoint; the gate uses it for the run as a whole."""

PERCENTILES: Mapping[str, float] = {"p50": 0.50, "p75": 0.75, "p90": 0.90, "p95": 0.95, "p99": 0.99}
"""The response-time percentiles the gate knows, as fractions."""

LATENCY_METRICS: tuple[str, ...] = (*PERCENTILES, "avg", "max")
"""Response-time metrics in milliseconds, as EndpointStats.latency keys."""

_STATS_COLUMNS = (
    "Type",
    "Name",
    "Request Count",
    "Failure Count",
    "Average Response Time",
    "Max Response Time",
)
_FAILURES_COLUMNS = ("Method", "Name", "Error", "Occurrences")
_PERCENTILE_COLUMNS = {"p50": "50%", "p75": "75%", "p90": "90%", "p95": "95%", "p99": "99%"}
_NOT_AVAILABLE = ("N/A", "")
"""How Locust writes a cell without data (percentiles of an endpoint with no samples)."""


class BundleError(ValueError):
    """Results cannot be read; the message is one line naming the file, the line or field, and the problem."""


@dataclass(frozen=True, kw_only=True)
class RunFacts:
    """What the runner records in run.json; every field is optional, since hand-made bundles may lack any."""

    schema: int | None = None
    preset: str | None = None
    users: int | None = None
    spawn_rate: float | None = None
    run_time_s: float | None = None
    wait_min_s: float | None = None
    wait_max_s: float | None = None
    """The users' wait between tasks: with users and run length it sets how many requests a run makes."""
    workers: int | None = None
    host: str | None = None
    target: str | None = None
    """``sandbox`` (the stand-in API) or ``external`` (a real host)."""
    profile: str | None = None
    """The stand-in's latency profile, e.g. ``realistic x0.1``, or ``none``; None for a real host."""
    git_commit: str | None = None
    locust_version: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    exit_code: int | None = None
    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    seed: int | None = None
    endpoints: tuple[str, ...] = ()
    """The endpoints the run was meant to exercise (the contract's, less those its tags left out)."""


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


@dataclass(frozen=True, kw_only=True)
class Results:
    """Everything the gate reads from one run."""

    source: Path
    facts: RunFacts | None
    """None for a plain Locust run, which records no settings."""
    aggregate: EndpointStats
    endpoints: Mapping[str, EndpointStats]
    failures: tuple[FailureMessage, ...]
    percentiles_from: str
    """``histograms`` (Locust's --json-file) or ``csv`` (the stats CSV's percentile columns)."""

    @property
    def duration_s(self) -> float | None:
        """The measured run duration that requests/s divides by."""
        return _duration_s(self.aggregate)


@dataclass(frozen=True)
class _Files:
    stats_csv: Path
    histograms: Path
    failures_csv: Path
    run_facts: Path | None


def read_results(path: Path) -> Results:
    """Read a bundle folder or a CSV prefix (``out/smoke`` for ``out/smoke_stats.csv``)."""
    files = _locate(Path(path))
    csv_endpoints, csv_aggregate = read_stats_csv(files.stats_csv)
    if files.histograms.is_file():
        fallback_duration_s = _duration_s(csv_aggregate)
        endpoints, aggregate = read_histograms(files.histograms, fallback_duration_s=fallback_duration_s)
        percentiles_from = "histograms"
    else:
        endpoints, aggregate = csv_endpoints, csv_aggregate
        percentiles_from = "csv"
    return Results(
        source=Path(path),
        facts=read_run_facts(files.run_facts) if files.run_facts else None,
        aggregate=aggregate,
        endpoints=endpoints,
        failures=read_failures_csv(files.failures_csv) if files.failures_csv.is_file() else (),
        percentiles_from=percentiles_from,
    )


def _locate(path: Path) -> _Files:
    if path.is_dir():
        if not (path / STATS_CSV).is_file():
            raise BundleError(f"{path}: not a results bundle: {STATS_CSV} is missing")
        facts = path / RUN_FACTS
        return _files_for_prefix(csv_prefix(path), facts if facts.is_file() else None)
    prefix = path.with_name(path.name.removesuffix("_stats.csv"))
    if not Path(f"{prefix}_stats.csv").is_file():
        looked_for = f"{path}/{STATS_CSV} and {prefix}_stats.csv"
        raise BundleError(f"{path}: not a results bundle or CSV prefix (no {looked_for})")
    facts = prefix.parent / RUN_FACTS
    inside_bundle = prefix.name == CSV_PREFIX_NAME and facts.is_file()
    return _files_for_prefix(prefix, facts if inside_bundle else None)


def _files_for_prefix(prefix: Path, run_facts: Path | None) -> _Files:
    return _Files(
        stats_csv=Path(f"{prefix}_stats.csv"),
        histograms=Path(f"{prefix}.json"),
        failures_csv=Path(f"{prefix}_failures.csv"),
        run_facts=run_facts,
    )


def stats_name(method: str | None, name: str) -> str:
    """Locust's Type and Name as one key, ``GET /api/dashboard/``; a name led by its method is kept."""
    if not method or name.startswith(f"{method} "):
        return name
    return f"{method} {name}"


# --- run.json ----------------------------------------------------------------

_FACT_KINDS = {
    "schema": "int",
    "preset": "str",
    "users": "int",
    "spawn_rate": "number",
    "run_time_s": "number",
    "wait_min_s": "number",
    "wait_max_s": "number",
    "workers": "int",
    "host": "str",
    "target": "str",
    "profile": "str",
    "git_commit": "str",
    "locust_version": "str",
    "started_at": "time",
    "ended_at": "time",
    "exit_code": "int",
    "tags": "strings",
    "exclude_tags": "strings",
    "seed": "int",
    "endpoints": "strings",
}


COMPARABLE_SETTINGS = (
    ("preset", "preset"),
    ("users", "users"),
    ("run_time_s", "run length"),
    ("wait_min_s", "shortest wait"),
    ("wait_max_s", "longest wait"),
    ("target", "target"),
    ("profile", "latency profile"),
)
"""The run.json settings two runs must share before their latencies are compared, with their labels."""


def comparable_settings(facts: RunFacts | None, *, preset: str | None = None) -> dict[str, Any]:
    """A run's COMPARABLE_SETTINGS (None where unrecorded); ``preset`` overrides the recorded one."""
    settings = {key: getattr(facts, key) if facts else None for key, _ in COMPARABLE_SETTINGS}
    settings["preset"] = preset or settings["preset"]
    return settings


def read_run_facts(path: Path) -> RunFacts:
    data = _read_json(path)
    if not isinstance(data, dict):
        raise BundleError(f"{path}: expected a JSON object, found {type(data).__name__}")
    values = {key: _fact(path, key, kind, data[key]) for key, kind in _FACT_KINDS.items() if key in data}
    return RunFacts(**{key: value for key, value in values.items() if value is not None})


def _fact(path: Path, key: str, kind: str, value: Any) -> Any:
    if value is None:
        return None
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value),
        "str": isinstance(value, str),
        "time": isinstance(value, str),
        "strings": isinstance(value, list) and all(isinstance(item, str) for item in value),
    }[kind]
    wanted = {"int": "an integer", "number": "a number", "str": "a string", "time": "an ISO-8601 time"}
    if not ok:
        wanted_kind = wanted.get(kind, "a list of strings")
        raise BundleError(f"{path}: field {key!r} must be {wanted_kind}, got {value!r}")
    if kind == "strings":
        return tuple(value)
    if kind == "time":
        return _parse_time(path, key, value)
    return float(value) if kind == "number" else value


def _parse_time(path: Path, key: str, value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BundleError(f"{path}: field {key!r} is not an ISO-8601 time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# --- the stats CSV -----------------------------------------------------------


def read_stats_csv(path: Path) -> tuple[dict[str, EndpointStats], EndpointStats]:
    """Per-endpoint rows and the AGGREGATE row of Locust's ``PREFIX_stats.csv``."""
    endpoints: dict[str, EndpointStats] = {}
    aggregate = None
    for line, cells in _csv_rows(path, _STATS_COLUMNS, "stats"):
        where = f"{path}: line {line}"
        row = EndpointStats(
            name=stats_name(cells["Type"], cells["Name"]),
            requests=_count(cells, "Request Count", where),
            failures=_count(cells, "Failure Count", where),
            rps=_number(cells, "Requests/s", where),
            latency={
                **{metric: _number(cells, column, where) for metric, column in _PERCENTILE_COLUMNS.items()},
                "avg": _number(cells, "Average Response Time", where),
                "max": _number(cells, "Max Response Time", where),
            },
        )
        _check_counts(row, where)
        if not cells["Type"] and cells["Name"] == AGGREGATE:
            aggregate = row
        elif row.name in endpoints:
            raise BundleError(f"{where}: {row.name!r} appears twice")
        else:
            endpoints[row.name] = row
    if aggregate is None:
        raise BundleError(f"{path}: no {AGGREGATE!r} row: not a complete Locust stats CSV")
    return endpoints, aggregate


def read_failures_csv(path: Path) -> tuple[FailureMessage, ...]:
    """Rows of Locust's ``PREFIX_failures.csv``, most frequent first."""
    messages = [
        FailureMessage(
            name=stats_name(cells["Method"], cells["Name"]),
            error=cells["Error"],
            occurrences=_count(cells, "Occurrences", f"{path}: line {line}"),
        )
        for line, cells in _csv_rows(path, _FAILURES_COLUMNS, "failures")
    ]
    return tuple(sorted(messages, key=lambda m: -m.occurrences))


def _csv_rows(path: Path, required: Iterable[str], kind: str) -> Iterable[tuple[int, dict[str, str]]]:
    text = _read_text(path)
    if not text.strip():
        raise BundleError(f"{path}: the file is empty: not a Locust {kind} CSV")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    missing = [column for column in required if column not in header]
    if missing:
        raise BundleError(f"{path}: line 1: not a Locust {kind} CSV header (missing {', '.join(missing)})")
    rows = []
    for cells in reader:
        if not any(cells):
            continue
        if len(cells) != len(header):
            found = f"{len(cells)} cells where the header has {len(header)}"
            raise BundleError(f"{path}: line {reader.line_num}: {found}")
        rows.append((reader.line_num, dict(zip(header, cells, strict=True))))
    if not rows and kind == "stats":
        raise BundleError(f"{path}: no data rows after the header")
    return rows


def _count(cells: Mapping[str, str], column: str, where: str) -> int:
    text = cells[column].strip()
    if not text.isdigit():
        raise BundleError(f"{where}: column {column!r} must be a whole number, got {text!r}")
    return int(text)


def _number(cells: Mapping[str, str], column: str, where: str) -> float | None:
    text = cells.get(column, "N/A").strip()
    if text in _NOT_AVAILABLE:
        return None
    try:
        value = float(text)
    except ValueError:
        raise BundleError(f"{where}: column {column!r} is not a number: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise BundleError(f"{where}: column {column!r} must be a finite number >= 0, got {text!r}")
    return value


def _check_counts(row: EndpointStats, where: str) -> None:
    if row.failures > row.requests:
        counts = f"more failures ({row.failures}) than requests ({row.requests})"
        raise BundleError(f"{where}: {row.name!r} has {counts}")


def _duration_s(aggregate: EndpointStats) -> float | None:
    """The run duration Locust divided by: Requests/s is requests / (last request - start)."""
    if aggregate.rps and aggregate.requests:
        return aggregate.requests / aggregate.rps
    return None


# --- the histograms (Locust --json-file) -------------------------------------


def read_histograms(
    path: Path, *, fallback_duration_s: float | None = None
) -> tuple[dict[str, EndpointStats], EndpointStats]:
    """Per-endpoint stats from Locust's ``--json-file`` output, percentiles computed from its histograms.

    The JSON has no aggregate: it is the sum of the endpoints' histograms, as in Locust itself.
    """
    data = _read_json(path)
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
            raise BundleError(f"{path}: {entry.name!r} appears twice")
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
        if not isinstance(item, dict):
            raise BundleError(f"{where}: expected an object, found {type(item).__name__}")
        get = _JsonFields(item, where)
        name = stats_name(get.optional_str("method"), get.str("name"))
        get.where = f"{where} ({name})"
        requests, failures = get.count("num_requests"), get.count("num_failures")
        entry = cls(
            name=name,
            requests=requests,
            failures=failures,
            timed=requests - get.count("num_none_requests", default=0),
            total_ms=get.number("total_response_time"),
            max_ms=get.number("max_response_time"),
            histogram=get.histogram("response_times"),
            start_time=get.number("start_time"),
            last_request=get.optional_number("last_request_timestamp"),
        )
        if failures > requests or entry.timed < 0:
            raise BundleError(f"{get.where}: counts do not add up (requests {requests}, failures {failures})")
        return entry

    @classmethod
    def merge(cls, name: str, entries: list[_HistogramEntry]) -> _HistogramEntry:
        histogram: dict[float, int] = {}
        for entry in entries:
            for bucket, count in entry.histogram.items():
                histogram[bucket] = histogram.get(bucket, 0) + count
        ends = [entry.last_request for entry in entries if entry.last_request is not None]
        return cls(
            name=name,
            requests=sum(entry.requests for entry in entries),
            failures=sum(entry.failures for entry in entries),
            timed=sum(entry.timed for entry in entries),
            total_ms=sum(entry.total_ms for entry in entries),
            max_ms=max((entry.max_ms for entry in entries), default=0.0),
            histogram=histogram,
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


class _JsonFields:
    """Typed access to one JSON object's fields, raising BundleError that names the field."""

    def __init__(self, item: Mapping[str, Any], where: str) -> None:
        self.item = item
        self.where = where

    def _get(self, key: str) -> Any:
        if key not in self.item:
            raise BundleError(f"{self.where}: field {key!r} is missing")
        return self.item[key]

    def _fail(self, key: str, wanted: str) -> BundleError:
        return BundleError(f"{self.where}: field {key!r} must be {wanted}, got {self.item.get(key)!r}")

    def str(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise self._fail(key, "a string")
        return value

    def optional_str(self, key: str) -> str | None:
        return None if self.item.get(key) is None else self.str(key)

    def count(self, key: str, default: int | None = None) -> int:
        if default is not None and key not in self.item:
            return default
        value = self._get(key)
        if not _is_count(value):
            raise self._fail(key, "a whole number >= 0")
        return value

    def number(self, key: str) -> float:
        value = self._get(key)
        if not _is_non_negative(value):
            raise self._fail(key, "a finite number >= 0")
        return float(value)

    def optional_number(self, key: str) -> float | None:
        return None if self.item.get(key) is None else self.number(key)

    def histogram(self, key: str) -> dict[float, int]:
        value = self._get(key)
        if not isinstance(value, dict):
            raise self._fail(key, "an object of {response time: count}")
        histogram: dict[float, int] = {}
        for bucket, count in value.items():
            try:
                time_ms = float(bucket)
            except ValueError:
                time_ms = -1.0
            if not (math.isfinite(time_ms) and time_ms >= 0 and _is_count(count)):
                raise BundleError(f"{self.where}: field {key!r} has a bad bucket {bucket!r}: {count!r}")
            histogram[time_ms] = histogram.get(time_ms, 0) + count
        return histogram


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_non_negative(value: Any) -> bool:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return is_number and math.isfinite(value) and value >= 0


# --- files ---------------------------------------------------------------------


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BundleError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise BundleError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise BundleError(f"{path}: cannot be read: {exc.strerror}") from None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise BundleError(f"{path}: line {exc.lineno}: invalid JSON: {exc.msg}") from None


def write_atomically(path: Path, text: str) -> None:
    """Write through a temporary file and a rename, so a failed write never leaves half a file.

    A target that exists but is not a regular file (``/dev/stdout``, a pipe) is written to directly:
    renaming over it would replace the device or pipe with a file.
    """
    if path.exists() and not path.is_file():
        with path.open("w", encoding="utf-8") as stream:
            stream.write(text)
        return
    path = path.resolve() if path.is_symlink() else path  # replace the linked file, keep the link
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp"
    ) as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)
