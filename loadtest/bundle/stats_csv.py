"""Locust's ``--csv`` output: the stats CSV (a row per endpoint and the aggregate) and the failures CSV."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from loadtest.bundle.files import BundleError, quoted, read_text
from loadtest.bundle.rows import AGGREGATE, EndpointStats, FailureMessage, stats_name
from loadtest.bundle.typed_json import MAX_NUMBER, NUMBER_TEXT
from loadtest.text import masking

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
_COUNT = re.compile(r"[0-9]{1,15}")
"""A count as Locust writes it: ASCII digits only (``"²".isdigit()`` is true, ``int("²")`` fails)."""


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
            raise BundleError(f"{where}: {quoted(row.name)} appears twice")
        else:
            endpoints[row.name] = row
    if aggregate is None:
        raise BundleError(f"{path}: no {AGGREGATE!r} row: not a complete Locust stats CSV")
    return endpoints, aggregate


def read_failures_csv(path: Path) -> tuple[FailureMessage, ...]:
    """Rows of Locust's ``PREFIX_failures.csv``, most frequent first, secrets masked (a bundle from
    elsewhere, or written by a locustfile that does not mask, may quote what an API echoed)."""
    messages = [
        FailureMessage(
            name=stats_name(cells["Method"], cells["Name"]),
            error=masking.mask(cells["Error"]),
            occurrences=_count(cells, "Occurrences", f"{path}: line {line}"),
        )
        for line, cells in _csv_rows(path, _FAILURES_COLUMNS, "failures")
    ]
    return tuple(sorted(messages, key=lambda m: -m.occurrences))


def _csv_rows(path: Path, required: Iterable[str], kind: str) -> Iterable[tuple[int, dict[str, str]]]:
    text = read_text(path)
    if not text.strip():
        raise BundleError(f"{path}: the file is empty: not a Locust {kind} CSV")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
        missing = [column for column in required if column not in header]
        if missing:
            raise BundleError(
                f"{path}: line 1: not a Locust {kind} CSV header (missing {', '.join(missing)})"
            )
        rows = []
        for cells in reader:
            if not any(cells):
                continue
            if len(cells) != len(header):
                found = f"{len(cells)} cells where the header has {len(header)}"
                raise BundleError(f"{path}: line {reader.line_num}: {found}")
            rows.append((reader.line_num, dict(zip(header, cells, strict=True))))
    except csv.Error as exc:  # a field over csv.field_size_limit(), a NUL byte
        raise BundleError(f"{path}: line {reader.line_num}: not a Locust {kind} CSV: {exc}") from None
    if not rows and kind == "stats":
        raise BundleError(f"{path}: no data rows after the header")
    return rows


def _count(cells: Mapping[str, str], column: str, where: str) -> int:
    text = cells[column].strip()
    if not _COUNT.fullmatch(text):
        raise BundleError(f"{where}: column {column!r} must be a whole number, got {quoted(text)}")
    return int(text)


def _number(cells: Mapping[str, str], column: str, where: str) -> float | None:
    text = cells.get(column, "N/A").strip()
    if text in _NOT_AVAILABLE:
        return None
    if not NUMBER_TEXT.fullmatch(text):
        if text.lower().lstrip("+-") in ("nan", "inf", "infinity") or text.startswith("-"):
            raise BundleError(f"{where}: column {column!r} must be a finite number >= 0, got {quoted(text)}")
        raise BundleError(f"{where}: column {column!r} is not a number: {quoted(text)}")
    value = float(text)
    if not math.isfinite(value) or value > MAX_NUMBER:
        raise BundleError(f"{where}: column {column!r} is out of range: {quoted(text)}")
    return value


def _check_counts(row: EndpointStats, where: str) -> None:
    if row.failures > row.requests:
        counts = f"more failures ({row.failures}) than requests ({row.requests})"
        raise BundleError(f"{where}: {quoted(row.name)} has {counts}")
