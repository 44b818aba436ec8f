"""The baseline history: the last N passing default-branch runs of a preset, kept in history.json.

A baseline bundle (what ``scripts/record_baseline.py`` writes) is the latest passing run plus
``history.json``: that run and the ones before it, oldest first, at most ``keep`` of them. Each
entry holds the run's facts and, per endpoint and for the aggregate, the numbers the gate judges
and the endpoint's response-time histogram, so that a later gate can tell how much a metric moves
between runs (the history's spread) and within one run (its sampling noise)::

    {"schema": 1, "keep": 20, "runs": [
      {"commit": "4f2a9c1...", "ended_at": "2026-11-25T11:34:00Z", "preset": "smoke", "users": 20,
       "run_time_s": 120.0, "target": "sandbox", "duration_s": 119.6,
       "rows": {
         "GET /api/dashboard/": {"requests": 812, "failures": 0, "rps": 6.79,
                                 "p50": 50, "p95": 120, "p99": 180, "avg": 58.3,
                                 "histogram": [11, 1, 3, 2, 1, 4, ...]},
         "Aggregated": {...no histogram: it is the sum of the endpoints'...}}}]}

``histogram`` is Locust's {rounded ms: requests} flattened to ``[first ms, count, step to the next
ms, count, ...]``: Locust rounds to whole ms below 100, to 10 ms up to 1,000 and to 100 ms above,
so the steps are small numbers: 20 runs of 13 endpoints (about 3,700 requests a run) measured
130 kB, 21 kB zipped as an artifact.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from loadtest.bundle import (
    AGGREGATE,
    BASELINE_HISTORY,
    BundleError,
    EndpointStats,
    Results,
    RunFacts,
    read_json,
    read_results,
    sum_histograms,
)
from loadtest.bundle.facts import COMPARABLE
from loadtest.bundle.files import quoted
from loadtest.bundle.typed_json import expect_object, is_count, is_number, read_fields
from loadtest.text.untrusted import NAME_LIMIT, console_text

HISTORY_SCHEMA = 1
DEFAULT_KEEP = 20
HISTORY_METRICS = ("p50", "p95", "p99", "avg")
"""Latency metrics stored per row; the histogram gives any other percentile."""
STORED_FACTS = ("git_commit", "ended_at", *COMPARABLE)
"""The RunFacts each entry keeps: what it was, and every setting a later run must share with it."""
ON_DISK_NAMES = {"git_commit": "commit"}
"""RunFacts fields history.json spells otherwise (the layout predates RunFacts; old baselines still read)."""


class HistoryError(ValueError):
    """history.json cannot be read; the message is one line naming the file, the entry and the problem."""


@dataclass(frozen=True, kw_only=True)
class HistoryRun:
    """One earlier run: its facts and its rows (endpoints and the aggregate) as EndpointStats."""

    facts: RunFacts = field(default_factory=RunFacts)
    """Only the STORED_FACTS of the run."""
    duration_s: float | None = None
    rows: Mapping[str, EndpointStats] = field(default_factory=dict)


@dataclass(frozen=True)
class History:
    """Earlier runs, oldest first."""

    runs: tuple[HistoryRun, ...] = ()
    keep: int = DEFAULT_KEEP

    def __len__(self) -> int:
        return len(self.runs)

    def rolled(self, run: HistoryRun, *, keep: int | None = None) -> History:
        """This history with ``run`` appended and only the newest ``keep`` runs kept."""
        keep = keep or self.keep
        return History(runs=(*self.runs, run)[-keep:], keep=keep)

    def compatible_with(self, facts: RunFacts | None, *, preset: str | None) -> tuple[History, list[str]]:
        """Runs with the same settings (RunFacts.mismatches), and why the others were left out."""
        here = facts or RunFacts()
        kept, reasons = [], []
        for run in self.runs:
            mismatches = here.mismatches(run.facts, preset=preset)
            if mismatches:
                reasons.append(", ".join(f"{m.label} {m.there}" for m in mismatches))
            else:
                kept.append(run)
        return History(runs=tuple(kept), keep=self.keep), reasons


# --- building an entry ---------------------------------------------------------


def run_from_results(results: Results) -> HistoryRun:
    """The history entry for one run, as read by loadtest.bundle."""
    facts = results.facts or RunFacts()
    rows = {name: row for name, row in results.endpoints.items()}
    rows[AGGREGATE] = results.aggregate
    stored = RunFacts(**{name: getattr(facts, name) for name in STORED_FACTS})
    return HistoryRun(facts=stored, duration_s=results.duration_s, rows=rows)


# --- JSON ----------------------------------------------------------------------


def to_json(history: History) -> dict[str, Any]:
    return {"schema": HISTORY_SCHEMA, "keep": history.keep, "runs": [_run_json(run) for run in history.runs]}


def dumps(history: History) -> str:
    """history.json's text: one line per run, so a diff of two baselines reads run by run."""
    runs = ",\n".join("  " + json.dumps(_run_json(run), separators=(",", ":")) for run in history.runs)
    body = f"[\n{runs}\n]" if runs else "[]"
    return f'{{"schema": {HISTORY_SCHEMA}, "keep": {history.keep}, "runs": {body}}}\n'


def _run_json(run: HistoryRun) -> dict[str, Any]:
    facts = {ON_DISK_NAMES.get(name, name): value for name, value in run.facts.to_json(STORED_FACTS).items()}
    rows = {name: _row_json(row, histogram=name != AGGREGATE) for name, row in run.rows.items()}
    return {**facts, "duration_s": rounded(run.duration_s, 2), "rows": rows}


def _row_json(row: EndpointStats, *, histogram: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"requests": row.requests, "failures": row.failures, "rps": rounded(row.rps, 3)}
    data |= {metric: rounded(row.latency.get(metric), 1) for metric in HISTORY_METRICS}
    if histogram and row.histogram:
        data["histogram"] = pack_histogram(row.histogram)
    return data


def rounded(value: float | None, digits: int) -> float | int | None:
    if value is None:
        return None
    value = round(value, digits)
    return int(value) if value == int(value) else value


def pack_histogram(histogram: Mapping[float, int]) -> list[float | int]:
    """{ms: count} as ``[first ms, count, step, count, ...]``, buckets ascending, empty buckets left out."""
    packed: list[float | int] = []
    previous = 0.0
    for bucket in sorted(histogram):
        if histogram[bucket]:
            packed += [rounded(bucket - previous, 3), histogram[bucket]]
            previous = bucket
    return packed


def unpack_histogram(packed: list[Any], where: str) -> dict[float, int]:
    if len(packed) % 2:
        raise BundleError(
            f"{where}: histogram must hold pairs of step and count, found {len(packed)} numbers"
        )
    histogram: dict[float, int] = {}
    bucket = 0.0
    for step, count in zip(packed[::2], packed[1::2], strict=True):
        if not (is_number(step) and step >= 0 and is_count(count)):
            raise BundleError(f"{where}: histogram has a bad pair {quoted(step)}, {quoted(count)}")
        bucket = round(bucket + step, 3)
        histogram[bucket] = histogram.get(bucket, 0) + count
    return histogram


# --- reading -------------------------------------------------------------------

_ROW_KINDS = {"requests": "count", "failures": "count"} | dict.fromkeys(
    ("rps", *HISTORY_METRICS), "non_negative"
)


def read_history(path: Path) -> History:
    """Read history.json; HistoryError with a one-line message if it is unusable."""
    try:
        return _parse_history(read_json(Path(path)), str(path))
    except BundleError as exc:
        raise HistoryError(str(exc)) from None


def _parse_history(data: Any, where: str) -> History:
    if not isinstance(data, dict) or not isinstance(data.get("runs"), list):
        raise BundleError(f'{where}: expected an object with a "runs" list (a baseline history.json)')
    if data.get("schema") != HISTORY_SCHEMA:
        raise BundleError(f"{where}: schema {quoted(data.get('schema'))} is not {HISTORY_SCHEMA}")
    keep = data.get("keep", DEFAULT_KEEP)
    if not is_count(keep) or keep < 1:
        raise BundleError(f"{where}: field 'keep' must be a whole number >= 1, got {quoted(keep)}")
    runs = tuple(_parse_run(item, f"{where}: run {index}") for index, item in enumerate(data["runs"]))
    return History(runs=runs, keep=keep)


def _parse_run(item: Any, where: str) -> HistoryRun:
    item = expect_object(item, where)
    on_disk = {ON_DISK_NAMES.get(name, name): name for name in STORED_FACTS}
    facts = RunFacts.from_json({on_disk[key]: value for key, value in item.items() if key in on_disk}, where)
    duration = read_fields(item, {"duration_s": "number"}, where).get("duration_s")
    rows = item.get("rows")
    if not isinstance(rows, dict):
        raise BundleError(f"{where}: field 'rows' must be an object of endpoint rows")
    parsed = {
        name: _parse_row(name, row, f"{where} ({console_text(name, limit=NAME_LIMIT)})")
        for name, row in rows.items()
    }
    if AGGREGATE in parsed:
        histogram = sum_histograms(row.histogram for name, row in parsed.items() if name != AGGREGATE)
        parsed[AGGREGATE] = replace(parsed[AGGREGATE], histogram=histogram)
    return HistoryRun(facts=facts, duration_s=duration, rows=parsed)


def _parse_row(name: str, row: Any, where: str) -> EndpointStats:
    values = read_fields(row, _ROW_KINDS, where, required=("requests", "failures"))
    packed = expect_object(row, where).get("histogram", [])
    if not isinstance(packed, list):
        raise BundleError(f"{where}: field 'histogram' must be a list")
    return EndpointStats(
        name=name,
        requests=values["requests"],
        failures=values["failures"],
        rps=values.get("rps"),
        latency={metric: values.get(metric) for metric in HISTORY_METRICS},
        histogram=unpack_histogram(packed, where),
    )


# --- recording a baseline ----------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """What record_baseline wrote."""

    history: History
    dropped: int
    """Runs of the previous history left out because their settings differ from this run's."""


def record_baseline(current: Path, *, previous: Path | None, out: Path, keep: int) -> Recorded:
    """Write ``out``: the bundle at ``current`` plus history.json rolled from ``previous``'s.

    ``previous`` may be missing or empty (no baseline yet: a new history), a bundle without
    history.json (a baseline from before histories: it becomes the first run), or a baseline
    bundle. Runs recorded with other settings are dropped: a retuned preset starts a new history.
    Raises BundleError or HistoryError (one line) for unusable input, OSError when writing fails.
    """
    results = read_results(current)
    run = run_from_results(results)
    past = _previous_history(previous)
    compatible, left_out = past.compatible_with(results.facts, preset=run.facts.preset)
    history = History(runs=compatible.runs, keep=keep).rolled(run)
    _copy_bundle(Path(current), Path(out))
    (Path(out) / BASELINE_HISTORY).write_text(dumps(history), encoding="utf-8")
    return Recorded(history=history, dropped=len(left_out))


def _previous_history(previous: Path | None) -> History:
    if previous is None or not previous.exists() or (previous.is_dir() and not any(previous.iterdir())):
        return History()
    if (previous / BASELINE_HISTORY).is_file():
        return read_history(previous / BASELINE_HISTORY)
    return History(runs=(run_from_results(read_results(previous)),))


def _copy_bundle(source: Path, out: Path) -> None:
    if out.resolve() == source.resolve():
        raise HistoryError(f"{out}: --out must differ from the results bundle")
    if out.exists() and any(out.iterdir()):
        raise HistoryError(f"{out}: not empty: choose a new folder for the baseline")
    out.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.is_file() and item.name != BASELINE_HISTORY:
            shutil.copyfile(item, out / item.name)


def default_keep(current: Path, thresholds: Path) -> int:
    """``regression.history.keep`` of the thresholds for the run at ``current``, else DEFAULT_KEEP."""
    from loadtest.gate.thresholds import load_thresholds

    facts = read_results(current).facts
    rules = load_thresholds(thresholds).rules_for(
        preset=facts.preset if facts else None, target=facts.target if facts else None
    )
    return rules.regression.history.keep if rules.regression.history else DEFAULT_KEEP
