"""The results bundle: its layout, run.json, and the one reader of a run's results.

Modules, one concept each: ``layout`` (the file names), ``facts`` (run.json: RunFacts),
``stats_csv`` and ``locust_json`` (Locust's two outputs), ``rows`` (what both are read into),
``results`` (``read_results``), ``typed_json`` (the validator of typed JSON objects) and
``files`` (one-line read errors, atomic writes). The names below are the public ones::

    from loadtest import bundle
    results = bundle.read_results(Path("results/smoke-20261125T113400Z"))
"""

from loadtest.bundle.facts import RUN_SCHEMA, Mismatch, RunFacts, describe_fields
from loadtest.bundle.files import BundleError, read_json, read_text, write_atomically, write_json
from loadtest.bundle.layout import (
    BASE_SERVER_LOG,
    BASELINE_HISTORY,
    CSV_PREFIX_NAME,
    EXCEPTIONS_CSV,
    FAILURES_CSV,
    HISTOGRAMS_JSON,
    HISTORY_CSV,
    HTML_REPORT,
    LOCUST_FILES,
    LOCUST_LOG,
    RUN_FACTS,
    SERVER_LOG,
    SIDES,
    STATS_CSV,
    SUMMARY_MD,
    TREND_PAGE,
    VERDICT_JSON,
    csv_prefix,
    side_row,
    split_side_row,
)
from loadtest.bundle.locust_json import read_histograms
from loadtest.bundle.results import Results, read_results, read_run_facts
from loadtest.bundle.rows import (
    AGGREGATE,
    LATENCY_METRICS,
    PERCENTILES,
    EndpointStats,
    FailureMessage,
    histogram_percentile,
    stats_name,
    sum_histograms,
)
from loadtest.bundle.stats_csv import read_failures_csv, read_stats_csv

__all__ = [
    "AGGREGATE",
    "BASE_SERVER_LOG",
    "BASELINE_HISTORY",
    "CSV_PREFIX_NAME",
    "EXCEPTIONS_CSV",
    "FAILURES_CSV",
    "HISTOGRAMS_JSON",
    "HISTORY_CSV",
    "HTML_REPORT",
    "LATENCY_METRICS",
    "LOCUST_FILES",
    "LOCUST_LOG",
    "PERCENTILES",
    "RUN_FACTS",
    "SERVER_LOG",
    "RUN_SCHEMA",
    "SIDES",
    "STATS_CSV",
    "SUMMARY_MD",
    "TREND_PAGE",
    "VERDICT_JSON",
    "BundleError",
    "EndpointStats",
    "FailureMessage",
    "Mismatch",
    "Results",
    "RunFacts",
    "csv_prefix",
    "describe_fields",
    "histogram_percentile",
    "read_failures_csv",
    "read_histograms",
    "read_json",
    "read_results",
    "read_run_facts",
    "read_stats_csv",
    "read_text",
    "side_row",
    "split_side_row",
    "stats_name",
    "sum_histograms",
    "write_atomically",
    "write_json",
]
