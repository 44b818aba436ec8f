"""``read_results``: the one reader of a run's results, from a bundle folder or a plain Locust CSV prefix.

It returns the numbers the gate judges, or raises ``BundleError`` with a one-line message. A
``locust --csv PREFIX [--json-file PREFIX]`` run is read as well as a bundle: its percentiles come
from the histograms when the JSON is there, else from the stats CSV's columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from loadtest.bundle.facts import RunFacts
from loadtest.bundle.files import BundleError, MiB, read_json
from loadtest.bundle.layout import (
    CSV_PREFIX_NAME,
    RUN_FACTS,
    STATS_CSV,
    csv_prefix,
    failures_csv_of,
    histograms_of,
    stats_csv_of,
)
from loadtest.bundle.locust_json import read_histograms
from loadtest.bundle.rows import AGGREGATE, EndpointStats, FailureMessage
from loadtest.bundle.stats_csv import read_failures_csv, read_stats_csv
from loadtest.text.untrusted import code_span


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
    notes: tuple[str, ...] = ()
    """What reading decided that the summary must say (markdown): rows whose CSV counts were kept."""

    @property
    def duration_s(self) -> float | None:
        """The measured run duration that requests/s divides by."""
        return duration_s(self.aggregate)


def read_results(path: Path) -> Results:
    """Read a bundle folder or a CSV prefix (``out/smoke`` for ``out/smoke_stats.csv``)."""
    prefix, facts_path = _locate(Path(path))
    csv_endpoints, csv_aggregate = read_stats_csv(stats_csv_of(prefix))
    notes: list[str] = []
    if histograms_of(prefix).is_file():
        endpoints, aggregate = read_histograms(
            histograms_of(prefix), fallback_duration_s=duration_s(csv_aggregate)
        )
        endpoints, aggregate, notes = _never_fewer_than_the_csv(
            endpoints, aggregate, csv_endpoints, csv_aggregate
        )
        percentiles_from = "histograms"
    else:
        endpoints, aggregate = csv_endpoints, csv_aggregate
        percentiles_from = "csv"
    failures = failures_csv_of(prefix)
    return Results(
        source=Path(path),
        facts=read_run_facts(facts_path) if facts_path else None,
        aggregate=aggregate,
        endpoints=endpoints,
        failures=read_failures_csv(failures) if failures.is_file() else (),
        percentiles_from=percentiles_from,
        notes=tuple(notes),
    )


def _never_fewer_than_the_csv(
    endpoints: Mapping[str, EndpointStats],
    aggregate: EndpointStats,
    csv_endpoints: Mapping[str, EndpointStats],
    csv_aggregate: EndpointStats,
) -> tuple[dict[str, EndpointStats], EndpointStats, list[str]]:
    """locust.json's rows, with the stats CSV's counts wherever the CSV counts more.

    Locust writes the stats CSV once a second, so at the end of a run it may lag locust.json by up
    to a second: fewer requests and failures in the CSV are normal, and locust.json is read. More
    cannot happen in a real run; the files were changed, and a failure must not hide behind the
    smaller count: the larger requests and failures are judged, and a note names the row.
    """
    notes: list[str] = []
    rows = dict(endpoints)
    for name, csv_row in csv_endpoints.items():
        if name in rows or csv_row.requests:
            rows[name], note = _larger_counts(endpoints.get(name), csv_row)
            notes += note
    aggregate, note = _larger_counts(aggregate, csv_aggregate)
    return rows, aggregate, notes + note


def _larger_counts(row: EndpointStats | None, csv_row: EndpointStats) -> tuple[EndpointStats, list[str]]:
    if row is None:
        counts = f"{csv_row.requests:,} requests in the stats CSV, none in locust.json"
        return csv_row, [f"{code_span(csv_row.name)}: {counts}: the CSV's row is judged."]
    if csv_row.requests <= row.requests and csv_row.failures <= row.failures:
        return row, []
    counts = (
        f"{csv_row.requests:,} requests and {csv_row.failures:,} failures in the stats CSV, "
        f"{row.requests:,} and {row.failures:,} in locust.json"
    )
    larger = replace(
        row,
        requests=max(row.requests, csv_row.requests),
        failures=max(row.failures, csv_row.failures),
        rps=csv_row.rps if csv_row.requests > row.requests else row.rps,
    )
    where = "The aggregate" if row.name == AGGREGATE else code_span(row.name)
    return larger, [f"{where}: {counts}: the larger counts are judged."]


MAX_RUN_FACTS_BYTES = 1 * MiB
"""run.json is about 2 kB; the endpoints list and lost workers are its only lists."""


def read_run_facts(path: Path) -> RunFacts:
    return RunFacts.from_json(read_json(path, max_bytes=MAX_RUN_FACTS_BYTES), str(path))


def _locate(path: Path) -> tuple[Path, Path | None]:
    """The CSV prefix of a bundle or prefix, and its run.json if there is one."""
    if path.is_dir():
        if not (path / STATS_CSV).is_file():
            raise BundleError(f"{path}: not a results bundle: {STATS_CSV} is missing")
        facts = path / RUN_FACTS
        return csv_prefix(path), facts if facts.is_file() else None
    prefix = path.with_name(path.name.removesuffix("_stats.csv"))
    if not stats_csv_of(prefix).is_file():
        looked_for = f"{path}/{STATS_CSV} and {stats_csv_of(prefix)}"
        raise BundleError(f"{path}: not a results bundle or CSV prefix (no {looked_for})")
    facts = prefix.parent / RUN_FACTS
    inside_bundle = prefix.name == CSV_PREFIX_NAME and facts.is_file()
    return prefix, facts if inside_bundle else None


def duration_s(aggregate: EndpointStats) -> float | None:
    """The run duration Locust divided by: Requests/s is requests / (last request - start)."""
    if aggregate.rps and aggregate.requests:
        return aggregate.requests / aggregate.rps
    return None
