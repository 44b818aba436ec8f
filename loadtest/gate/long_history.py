"""The long history: a compact record of up to 400 runs per preset and target, kept in long-history.json.

history.json (loadtest.gate.history) holds the band's last 20 runs with their histograms: what the
gate needs to judge tonight's run. It moves with the series, so a slow creep never leaves it. The
long history keeps a year of nightly runs, and only what change-point detection and the trend chart
need: per run its commit, end time, preset and target, and per row (endpoint or aggregate) the
typical time, p50, p95, p99, requests/s and failure ratio::

    {"schema": 1, "keep": 400,
     "columns": ["typical", "p50", "p95", "p99", "rps", "failure_ratio"],
     "endpoints": ["Aggregated", "GET /api/dashboard/", ...],
     "runs": [
      {"commit": "4f2a9c1...", "ended_at": "2026-11-25T02:34:00Z", "preset": "medium", "target": "sandbox",
       "rows": [[0, 51.3, 50, 120, 180, 96.2, 0], [1, 48.7, 48, 110, 170, 6.79, 0.0012], ...]},
      ...]}

Each row is ``[index into endpoints, *columns]`` (null where a run had no value), so an endpoint's
name is written once, not 400 times: 400 runs of 14 rows measured 271 kB (tests/unit/
test_long_history.py measures it; the README gives the figure). One line per run, oldest first;
``dumps`` is the only writer, so reading and writing again gives the same bytes (``loadtest history
export|import`` relies on it).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtest.bundle import AGGREGATE, BundleError, EndpointStats, Results, read_json
from loadtest.bundle.files import quoted
from loadtest.bundle.typed_json import expect_object, is_count, is_number, parse_time
from loadtest.gate import stats
from loadtest.gate.history import History, HistoryError, HistoryRun, rounded, run_from_results
from loadtest.text.untrusted import NAME_LIMIT, console_text

LONG_HISTORY = "long-history.json"
"""Its name in a baseline bundle, beside history.json."""
LONG_SCHEMA = 1
DEFAULT_LONG_KEEP = 400
"""Runs kept per preset and target: 400 nightly runs are 13 months."""
MAX_LONG_KEEP = 2000
"""The most an imported file may ask to keep: 2,000 runs of 14 rows are about 1 MB."""
MAX_LONG_BYTES = 8 * 1024 * 1024
COLUMNS = ("typical", "p50", "p95", "p99", "rps", "failure_ratio")
_DIGITS = {"typical": 2, "p50": 1, "p95": 1, "p99": 1, "rps": 3, "failure_ratio": 5}
"""Rounding on disk: the typical time to 0.01 ms (on loopback it is 1-3 ms, and a 5% change must show),
Locust's percentiles to 0.1 ms (its own buckets are coarser), a failure ratio to 1e-5."""
FACT_FIELDS = ("commit", "ended_at", "preset", "target")
MAX_FACT_CHARS = 200


@dataclass(frozen=True, kw_only=True)
class LongRun:
    """One run of the long history: its facts as recorded (strings, or None) and its rows."""

    commit: str | None = None
    ended_at: str | None = None
    preset: str | None = None
    target: str | None = None
    rows: Mapping[str, tuple[float | None, ...]] = field(default_factory=dict)
    """Row name -> the COLUMNS' values."""

    def value(self, row: str, column: str) -> float | None:
        values = self.rows.get(row)
        return None if values is None else values[COLUMNS.index(column)]

    @property
    def series_key(self) -> tuple[str | None, str | None]:
        return (self.preset, self.target)


@dataclass(frozen=True)
class LongHistory:
    """Runs oldest first; at most ``keep`` of each preset and target."""

    runs: tuple[LongRun, ...] = ()
    keep: int = DEFAULT_LONG_KEEP

    def __len__(self) -> int:
        return len(self.runs)

    def rolled(self, run: LongRun) -> LongHistory:
        """This history with ``run`` appended, the oldest runs of its preset and target dropped past keep."""
        runs = (*self.runs, run)
        excess = sum(1 for other in runs if other.series_key == run.series_key) - self.keep
        kept = []
        for other in runs:
            if excess > 0 and other.series_key == run.series_key:
                excess -= 1
                continue
            kept.append(other)
        return LongHistory(runs=tuple(kept), keep=self.keep)

    def of(self, preset: str | None, target: str | None) -> LongHistory:
        """The runs of one preset and target."""
        return LongHistory(
            runs=tuple(run for run in self.runs if run.series_key == (preset, target)), keep=self.keep
        )

    def series_keys(self) -> list[tuple[str | None, str | None]]:
        """Each preset and target with runs, the most runs first."""
        return [key for key, _ in Counter(run.series_key for run in self.runs).most_common()]


# --- building entries ------------------------------------------------------------


def long_run(run: HistoryRun) -> LongRun:
    """The long-history entry of a history.json entry (or of a run's results, through run_from_results)."""
    facts = run.facts
    rows = {name: _row_values(row) for name, row in run.rows.items()}
    return LongRun(
        commit=facts.git_commit,
        ended_at=facts.to_json(("ended_at",)).get("ended_at"),
        preset=facts.preset,
        target=facts.target,
        rows=rows,
    )


def long_run_from_results(results: Results) -> LongRun:
    return long_run(run_from_results(results))


def _row_values(row: EndpointStats) -> tuple[float | None, ...]:
    values = {
        "typical": stats.typical_ms(row.histogram) if row.histogram else None,
        "rps": row.rps,
        "failure_ratio": row.failure_ratio if row.requests else None,
        **{metric: row.latency.get(metric) for metric in ("p50", "p95", "p99")},
    }
    finite = {column: v if v is None or math.isfinite(v) else None for column, v in values.items()}
    return tuple(rounded(finite[column], _DIGITS[column]) for column in COLUMNS)


def seeded_from(history: History) -> LongHistory:
    """A first long history from a baseline that has only history.json (recorded before long histories)."""
    long = LongHistory()
    for run in history.runs:
        long = long.rolled(long_run(run))
    return long


# --- writing -----------------------------------------------------------------------


def dumps(history: LongHistory) -> str:
    """long-history.json's text: the only writer, so the same history always gives the same bytes."""
    names = _endpoint_order(history.runs)
    index = {name: number for number, name in enumerate(names)}
    runs = ",\n".join("  " + json.dumps(_run_json(run, index), separators=(",", ":")) for run in history.runs)
    body = f"[\n{runs}\n]" if runs else "[]"
    return (
        f'{{"schema": {LONG_SCHEMA}, "keep": {history.keep},\n'
        f' "columns": {json.dumps(list(COLUMNS))},\n'
        f' "endpoints": {json.dumps(names, ensure_ascii=False)},\n'
        f' "runs": {body}}}\n'
    )


def _endpoint_order(runs: Iterable[LongRun]) -> list[str]:
    """Row names in the order they first appear (the aggregate first when it is there)."""
    seen: dict[str, None] = {}
    for run in runs:
        seen.update(dict.fromkeys(run.rows))
    names = list(seen)
    if AGGREGATE in seen:
        names.remove(AGGREGATE)
        names.insert(0, AGGREGATE)
    return names


def _run_json(run: LongRun, index: Mapping[str, int]) -> dict[str, Any]:
    facts = {"commit": run.commit, "ended_at": run.ended_at, "preset": run.preset, "target": run.target}
    rows = sorted([index[name], *values] for name, values in run.rows.items())
    return {**facts, "rows": rows}


def write_long_history(path: Path, history: LongHistory) -> None:
    """Write atomically: a failed write leaves the file that was there."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".long-history-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as sink:
            sink.write(dumps(history))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- reading -----------------------------------------------------------------------


def read_long_history(path: Path) -> LongHistory:
    """Read and check a long-history.json; HistoryError with one line naming the file and field."""
    try:
        return parse_long_history(read_json(Path(path), max_bytes=MAX_LONG_BYTES), str(path))
    except BundleError as exc:
        raise HistoryError(str(exc)) from None


def parse_long_history(data: Any, where: str) -> LongHistory:
    data = expect_object(data, where)
    if data.get("schema") != LONG_SCHEMA:
        raise BundleError(f"{where}: field 'schema' must be {LONG_SCHEMA}, got {quoted(data.get('schema'))}")
    keep = data.get("keep")
    if not is_count(keep) or not 1 <= keep <= MAX_LONG_KEEP:
        raise BundleError(f"{where}: field 'keep' must be a whole number from 1 to {MAX_LONG_KEEP}")
    if data.get("columns") != list(COLUMNS):
        raise BundleError(f"{where}: field 'columns' must be {json.dumps(list(COLUMNS))}")
    names = data.get("endpoints")
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise BundleError(f"{where}: field 'endpoints' must be a list of endpoint names")
    if len(set(names)) != len(names):
        raise BundleError(f"{where}: field 'endpoints' names an endpoint twice")
    runs = data.get("runs")
    if not isinstance(runs, list):
        raise BundleError(f"{where}: field 'runs' must be a list")
    parsed = tuple(_parse_run(item, names, f"{where}: run {number}") for number, item in enumerate(runs))
    counts = Counter(run.series_key for run in parsed)
    if counts and max(counts.values()) > keep:
        raise BundleError(f"{where}: more runs of one preset and target ({max(counts.values())}) than keep")
    return LongHistory(runs=parsed, keep=keep)


def _parse_run(item: Any, names: list[str], where: str) -> LongRun:
    item = expect_object(item, where)
    facts = {key: _fact(item.get(key), key, where) for key in FACT_FIELDS}
    rows = item.get("rows")
    if not isinstance(rows, list):
        raise BundleError(f"{where}: field 'rows' must be a list of [endpoint index, {', '.join(COLUMNS)}]")
    parsed: dict[str, tuple[float | None, ...]] = {}
    for number, row in enumerate(rows):
        name, values = _parse_row(row, names, f"{where}: row {number}")
        if name in parsed:
            raise BundleError(f"{where}: row {number}: endpoint {console_text(name, limit=NAME_LIMIT)} twice")
        parsed[name] = values
    return LongRun(**facts, rows=parsed)


def _fact(value: Any, key: str, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_FACT_CHARS:
        raise BundleError(f"{where}: field {key!r} must be a string of at most {MAX_FACT_CHARS} characters")
    if key == "ended_at":
        parse_time(value, where, key)
    return value


def _parse_row(row: Any, names: list[str], where: str) -> tuple[str, tuple[float | None, ...]]:
    if not isinstance(row, list) or len(row) != 1 + len(COLUMNS):
        raise BundleError(
            f"{where}: must be a list of {1 + len(COLUMNS)}: [endpoint index, {', '.join(COLUMNS)}]"
        )
    number, *values = row
    if not is_count(number) or number >= len(names):
        raise BundleError(
            f"{where}: endpoint index {quoted(number)} is not one of the {len(names)} endpoints"
        )
    for column, value in zip(COLUMNS, values, strict=True):
        if value is None:
            continue
        if not (is_number(value) and value >= 0) or (column == "failure_ratio" and value > 1):
            wanted = "from 0 to 1" if column == "failure_ratio" else "a finite number >= 0"
            raise BundleError(f"{where}: field {column!r} must be {wanted} or null, got {quoted(value)}")
    return names[number], tuple(values)


# --- recording a baseline ----------------------------------------------------------


def previous_long_history(previous: Path | None) -> LongHistory:
    """The long history a baseline carries; seeded from its history.json when it has none yet."""
    from loadtest.bundle import BASELINE_HISTORY
    from loadtest.gate.history import read_history

    if previous is None or not Path(previous).is_dir():
        return LongHistory()
    if (Path(previous) / LONG_HISTORY).is_file():
        return read_long_history(Path(previous) / LONG_HISTORY)
    if (Path(previous) / BASELINE_HISTORY).is_file():
        return seeded_from(read_history(Path(previous) / BASELINE_HISTORY))
    return LongHistory()
