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
import math
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtest.bundle import (
    AGGREGATE,
    BASELINE_HISTORY,
    COMPARABLE_SETTINGS,
    EndpointStats,
    Results,
    RunFacts,
    comparable_settings,
    read_results,
)

HISTORY_SCHEMA = 1
DEFAULT_KEEP = 20
HISTORY_METRICS = ("p50", "p95", "p99", "avg")
"""Latency metrics stored per row; the histogram gives any other percentile."""


class HistoryError(ValueError):
    """history.json cannot be read; the message is one line naming the file, the entry and the problem."""


@dataclass(frozen=True, kw_only=True)
class HistoryRun:
    """One earlier run: its facts and its rows (endpoints and the aggregate) as EndpointStats."""

    commit: str | None = None
    ended_at: str | None = None
    preset: str | None = None
    users: int | None = None
    run_time_s: float | None = None
    wait_min_s: float | None = None
    wait_max_s: float | None = None
    target: str | None = None
    profile: str | None = None
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
        """Runs with the same settings (bundle.COMPARABLE_SETTINGS), and why the others were left out."""
        here = comparable_settings(facts, preset=preset)
        kept, reasons = [], []
        for run in self.runs:
            differences = [
                f"{label} {getattr(run, key)}"
                for key, label in COMPARABLE_SETTINGS
                if here.get(key) is not None
                and getattr(run, key) is not None
                and getattr(run, key) != here[key]
            ]
            if differences:
                reasons.append(", ".join(differences))
            else:
                kept.append(run)
        return History(runs=tuple(kept), keep=self.keep), reasons


# --- building an entry ---------------------------------------------------------


def run_from_results(results: Results) -> HistoryRun:
    """The history entry for one run, as read by loadtest.bundle."""
    facts = results.facts or RunFacts()
    rows = {name: row for name, row in results.endpoints.items()}
    rows[AGGREGATE] = results.aggregate
    return HistoryRun(
        commit=facts.git_commit,
        ended_at=facts.ended_at.strftime("%Y-%m-%dT%H:%M:%SZ") if facts.ended_at else None,
        preset=facts.preset,
        users=facts.users,
        run_time_s=facts.run_time_s,
        wait_min_s=facts.wait_min_s,
        wait_max_s=facts.wait_max_s,
        target=facts.target,
        profile=facts.profile,
        duration_s=results.duration_s,
        rows=rows,
    )


# --- JSON ----------------------------------------------------------------------


def to_json(history: History) -> dict[str, Any]:
    return {"schema": HISTORY_SCHEMA, "keep": history.keep, "runs": [_run_json(run) for run in history.runs]}


def dumps(history: History) -> str:
    """history.json's text: one line per run, so a diff of two baselines reads run by run."""
    runs = ",\n".join("  " + json.dumps(_run_json(run), separators=(",", ":")) for run in history.runs)
    body = f"[\n{runs}\n]" if runs else "[]"
    return f'{{"schema": {HISTORY_SCHEMA}, "keep": {history.keep}, "runs": {body}}}\n'


def _run_json(run: HistoryRun) -> dict[str, Any]:
    facts = {
        "commit": run.commit,
        "ended_at": run.ended_at,
        "preset": run.preset,
        "users": run.users,
        "run_time_s": run.run_time_s,
        "wait_min_s": run.wait_min_s,
        "wait_max_s": run.wait_max_s,
        "target": run.target,
        "profile": run.profile,
        "duration_s": _rounded(run.duration_s, 2),
    }
    rows = {name: _row_json(row, histogram=name != AGGREGATE) for name, row in run.rows.items()}
    return {**facts, "rows": rows}


def _row_json(row: EndpointStats, *, histogram: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"requests": row.requests, "failures": row.failures, "rps": _rounded(row.rps, 3)}
    data |= {metric: _rounded(row.latency.get(metric), 1) for metric in HISTORY_METRICS}
    if histogram and row.histogram:
        data["histogram"] = pack_histogram(row.histogram)
    return data


def _rounded(value: float | None, digits: int) -> float | int | None:
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
            packed += [_rounded(bucket - previous, 3), histogram[bucket]]
            previous = bucket
    return packed


def unpack_histogram(packed: list[Any], where: str) -> dict[float, int]:
    if len(packed) % 2:
        raise HistoryError(
            f"{where}: histogram must hold pairs of step and count, found {len(packed)} numbers"
        )
    histogram: dict[float, int] = {}
    bucket = 0.0
    for step, count in zip(packed[::2], packed[1::2], strict=True):
        if not (_is_number(step) and step >= 0 and _is_count(count)):
            raise HistoryError(f"{where}: histogram has a bad pair {step!r}, {count!r}")
        bucket = round(bucket + step, 3)
        histogram[bucket] = histogram.get(bucket, 0) + count
    return histogram


# --- reading -------------------------------------------------------------------


def read_history(path: Path) -> History:
    """Read history.json; HistoryError with a one-line message if it is unusable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HistoryError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise HistoryError(f"{path}: cannot be read: {exc}") from None
    except json.JSONDecodeError as exc:
        raise HistoryError(f"{path}: line {exc.lineno}: invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or not isinstance(data.get("runs"), list):
        raise HistoryError(f'{path}: expected an object with a "runs" list (a baseline history.json)')
    if data.get("schema") != HISTORY_SCHEMA:
        raise HistoryError(f"{path}: schema {data.get('schema')!r} is not {HISTORY_SCHEMA}")
    keep = data.get("keep", DEFAULT_KEEP)
    if not _is_count(keep) or keep < 1:
        raise HistoryError(f"{path}: field 'keep' must be a whole number >= 1, got {keep!r}")
    runs = tuple(_parse_run(item, f"{path}: run {index}") for index, item in enumerate(data["runs"]))
    return History(runs=runs, keep=keep)


_RUN_FIELDS = {
    "commit": str,
    "ended_at": str,
    "preset": str,
    "users": int,
    "run_time_s": float,
    "wait_min_s": float,
    "wait_max_s": float,
    "target": str,
    "profile": str,
    "duration_s": float,
}


def _parse_run(item: Any, where: str) -> HistoryRun:
    if not isinstance(item, dict):
        raise HistoryError(f"{where}: expected an object, found {type(item).__name__}")
    facts: dict[str, Any] = {}
    for key, kind in _RUN_FIELDS.items():
        value = item.get(key)
        if value is None:
            continue
        ok = _is_number(value) if kind is float else isinstance(value, kind) and not isinstance(value, bool)
        if not ok:
            raise HistoryError(f"{where}: field {key!r} has a bad value {value!r}")
        facts[key] = float(value) if kind is float else value
    rows = item.get("rows")
    if not isinstance(rows, dict):
        raise HistoryError(f"{where}: field 'rows' must be an object of endpoint rows")
    parsed = {name: _parse_row(name, row, f"{where} ({name})") for name, row in rows.items()}
    if AGGREGATE in parsed:
        aggregate = parsed[AGGREGATE]
        histogram = _sum_histograms(row.histogram for name, row in parsed.items() if name != AGGREGATE)
        parsed[AGGREGATE] = _with_histogram(aggregate, histogram)
    return HistoryRun(**facts, rows=parsed)


def _parse_row(name: str, row: Any, where: str) -> EndpointStats:
    if not isinstance(row, dict):
        raise HistoryError(f"{where}: expected an object, found {type(row).__name__}")
    for key in ("requests", "failures"):
        if not _is_count(row.get(key)):
            raise HistoryError(f"{where}: field {key!r} must be a whole number >= 0, got {row.get(key)!r}")
    numbers = {}
    for key in ("rps", *HISTORY_METRICS):
        value = row.get(key)
        if value is not None and not (_is_number(value) and value >= 0):
            raise HistoryError(f"{where}: field {key!r} must be a number >= 0 or null, got {value!r}")
        numbers[key] = None if value is None else float(value)
    packed = row.get("histogram", [])
    if not isinstance(packed, list):
        raise HistoryError(f"{where}: field 'histogram' must be a list")
    return EndpointStats(
        name=name,
        requests=row["requests"],
        failures=row["failures"],
        rps=numbers.pop("rps"),
        latency=numbers,
        histogram=unpack_histogram(packed, where),
    )


def _sum_histograms(histograms: Any) -> dict[float, int]:
    total: dict[float, int] = {}
    for histogram in histograms:
        for bucket, count in histogram.items():
            total[bucket] = total.get(bucket, 0) + count
    return total


def _with_histogram(row: EndpointStats, histogram: dict[float, int]) -> EndpointStats:
    return EndpointStats(
        name=row.name,
        requests=row.requests,
        failures=row.failures,
        rps=row.rps,
        latency=row.latency,
        histogram=histogram,
    )


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


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
    compatible, left_out = past.compatible_with(results.facts, preset=run.preset)
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
