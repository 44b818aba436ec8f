"""``read_results``: the one reader of a run's results, from a bundle folder or a plain Locust CSV prefix.

It returns the numbers the gate judges, or raises ``BundleError`` with a one-line message. A
``locust --csv PREFIX [--json-file PREFIX]`` run is read as well as a bundle: its percentiles come
from the histograms when the JSON is there, else from the stats CSV's columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from loadtest.bundle.facts import RunFacts
from loadtest.bundle.files import BundleError, read_json
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
from loadtest.bundle.rows import EndpointStats, FailureMessage
from loadtest.bundle.stats_csv import read_failures_csv, read_stats_csv


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
        return duration_s(self.aggregate)


def read_results(path: Path) -> Results:
    """Read a bundle folder or a CSV prefix (``out/smoke`` for ``out/smoke_stats.csv``)."""
    prefix, facts_path = _locate(Path(path))
    csv_endpoints, csv_aggregate = read_stats_csv(stats_csv_of(prefix))
    if histograms_of(prefix).is_file():
        endpoints, aggregate = read_histograms(
            histograms_of(prefix), fallback_duration_s=duration_s(csv_aggregate)
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
    )


def read_run_facts(path: Path) -> RunFacts:
    return RunFacts.from_json(read_json(path), str(path))


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
