"""The one results reader: bundles, CSV prefixes, histograms, run.json, and what it refuses."""

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadtest.bundle import (
    AGGREGATE,
    STATS_CSV,
    BundleError,
    read_results,
    stats_name,
)
from tests.conftest import GATE_FIXTURES

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
    "Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)
AGGREGATED_ROW = ",Aggregated,10,0,5,5.5,1,9,2.0,1.0,0.0,5,6,6,7,8,9,9,9,9,9,9"


def stats_with(row: str) -> str:
    """A stats CSV with one endpoint row and a valid aggregate."""
    return f"{HEADER}\n{row}\n{AGGREGATED_ROW}\n"


def write_stats(folder: Path, *rows: str, header: str = HEADER) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / STATS_CSV).write_text("\n".join([header, *rows]) + "\n")
    return folder


def test_a_bundle_gives_every_endpoint_the_aggregate_and_its_run_facts():
    results = read_results(GATE_FIXTURES / "fail")

    assert list(results.endpoints) == [
        "GET /api/dashboard/",
        "GET /api/dashboard/v2/search/",
        "POST /api/accounts/sign-in/",
        "POST /api/help-center/contact-us/",
    ]
    dashboard = results.endpoints["GET /api/dashboard/"]
    assert (dashboard.requests, dashboard.failures, dashboard.rps) == (1000, 0, 16.7)
    assert dashboard.latency == {
        "p50": 210,
        "p75": 354,
        "p90": 538,
        "p95": 620,
        "p99": 700,
        "avg": 231,
        "max": 810,
    }
    assert results.aggregate.name == AGGREGATE and results.aggregate.requests == 2200
    assert results.facts.preset == "smoke" and results.facts.users == 10 and results.facts.target == "sandbox"
    assert results.facts.ended_at.isoformat() == "2026-11-25T11:00:00+00:00"
    assert results.percentiles_from == "csv"
    assert [(f.name, f.occurrences) for f in results.failures] == [("POST /api/help-center/contact-us/", 20)]


@pytest.mark.parametrize("given_path", ["plain/smoke", "plain/smoke_stats.csv"])
def test_a_plain_locust_prefix_reads_with_its_histograms_and_no_run_facts(given_path):
    results = read_results(GATE_FIXTURES / given_path)

    assert results.facts is None
    assert results.percentiles_from == "histograms"
    # The histograms are the final numbers; Locust's CSV is a snapshot up to a second older.
    assert results.endpoints["GET /api/dashboard/"].requests == 106
    assert results.aggregate.requests == sum(row.requests for row in results.endpoints.values())


def test_percentiles_from_histograms_match_locusts_own_report(tmp_path):
    entries = [
        _entry("GET", "/a", {"1": 50, "2": 30, "30": 15, "120": 5}, start=1000.0, end=1010.0),
        _entry("POST", "/b", {"10": 10}, start=1001.0, end=1009.0),
    ]
    write_stats(tmp_path / "run", AGGREGATED_ROW)
    (tmp_path / "run" / "locust.json").write_text(json.dumps(entries))

    results = read_results(tmp_path / "run")

    a = results.endpoints["GET /a"]
    # Locust's rule is conservative: the 50th of 100 samples sits in the 2 ms bucket once the 50 in
    # the 1 ms bucket are set aside, and the 5 slowest make p95 their bucket, 120 ms.
    assert (a.latency["p50"], a.latency["p95"], a.latency["p99"], a.latency["max"]) == (2, 120, 120, 120)
    assert a.rps == 10.0  # 100 requests over the run's 10 s (first start to last request)
    assert results.aggregate.latency["p50"] == 2  # 110 samples merged: the 55th is in the 2 ms bucket
    assert results.aggregate.requests == 110


def test_not_available_cells_read_as_missing_values(tmp_path):
    write_stats(
        tmp_path / "run",
        "GET,/idle,0,0,0,0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A",
        AGGREGATED_ROW,
    )

    idle = read_results(tmp_path / "run").endpoints["GET /idle"]

    assert idle.requests == 0 and idle.latency["p95"] is None and idle.failure_ratio == 0.0


@pytest.mark.parametrize(
    ("method", "name", "expected"),
    [
        ("GET", "/api/dashboard/", "GET /api/dashboard/"),
        ("GET", "GET /api/dashboard/", "GET /api/dashboard/"),
        ("", "Aggregated", "Aggregated"),
        (None, "custom", "custom"),
    ],
)
def test_stats_names_join_method_and_name_once(method, name, expected):
    assert stats_name(method, name) == expected


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({}, "not a results bundle: locust_stats.csv is missing"),
        ({STATS_CSV: ""}, "locust_stats.csv: the file is empty: not a Locust stats CSV"),
        (
            {STATS_CSV: "a,b\n1,2\n"},
            "locust_stats.csv: line 1: not a Locust stats CSV header (missing Type, Name,",
        ),
        ({STATS_CSV: HEADER + "\n"}, "locust_stats.csv: no data rows after the header"),
        (
            {STATS_CSV: f"{HEADER}\nGET,/a,10,0,5,5.5,1,9,2.0,1.0,0.0,5,6,6,7,8,9,9,9,9,9,9\n"},
            "no 'Aggregated' row",
        ),
        (
            {STATS_CSV: stats_with("GET,/a,ten,0,5,5.5,1,9,2.0,1.0,0.0,5,6,6,7,8,9,9,9,9,9,9")},
            "locust_stats.csv: line 2: column 'Request Count' must be a whole number, got 'ten'",
        ),
        (
            {STATS_CSV: stats_with("GET,/a,10,0,5,5.5,1,9,2.0,1.0,0.0,5,6,6,7,8,fast,9,9,9,9,9")},
            "locust_stats.csv: line 2: column '95%' is not a number: 'fast'",
        ),
        (
            {STATS_CSV: stats_with("GET,/a,10,11,5,5.5,1,9,2.0,1.0,0.0,5,6,6,7,8,9,9,9,9,9,9")},
            "line 2: 'GET /a' has more failures (11) than requests (10)",
        ),
        (
            {STATS_CSV: f"{HEADER}\nGET,/a,10,0,5\n"},
            "locust_stats.csv: line 2: 5 cells where the header has 22",
        ),
        (
            {STATS_CSV: f"{HEADER}\n{AGGREGATED_ROW}\n", "locust.json": "[{"},
            "locust.json: line 1: invalid JSON",
        ),
        (
            {STATS_CSV: f"{HEADER}\n{AGGREGATED_ROW}\n", "locust.json": "{}"},
            "locust.json: expected a list of stats",
        ),
        (
            {STATS_CSV: f"{HEADER}\n{AGGREGATED_ROW}\n", "locust.json": '[{"name": "/a", "method": "GET"}]'},
            "locust.json: entry 0 (GET /a): field 'num_requests' is missing",
        ),
        (
            {STATS_CSV: f"{HEADER}\n{AGGREGATED_ROW}\n", "run.json": "[1]"},
            "run.json: expected a JSON object, found list",
        ),
        (
            {STATS_CSV: f"{HEADER}\n{AGGREGATED_ROW}\n", "run.json": '{"users": "ten"}'},
            "run.json: field 'users' must be a whole number >= 0 (at most 1e15), got 'ten'",
        ),
        (
            {STATS_CSV: f"{HEADER}\n{AGGREGATED_ROW}\n", "run.json": '{"ended_at": "yesterday"}'},
            "run.json: field 'ended_at' is not an ISO-8601 time: 'yesterday'",
        ),
    ],
    ids=[
        "folder-without-stats",
        "empty-csv",
        "foreign-header",
        "header-only",
        "no-aggregated-row",
        "non-numeric-count",
        "non-numeric-percentile",
        "more-failures-than-requests",
        "short-row",
        "invalid-histogram-json",
        "histograms-not-a-list",
        "histogram-entry-incomplete",
        "run-json-not-an-object",
        "run-json-wrong-type",
        "run-json-bad-time",
    ],
)
def test_unusable_bundles_raise_one_line_naming_file_and_problem(tmp_path, files, message):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    for name, text in files.items():
        (bundle / name).write_text(text)

    with pytest.raises(BundleError) as raised:
        read_results(bundle)

    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_path_that_is_neither_bundle_nor_prefix_says_where_it_looked(tmp_path):
    with pytest.raises(
        BundleError, match=r"not a results bundle or CSV prefix \(no .*/nothing/locust_stats.csv"
    ):
        read_results(tmp_path / "nothing")


CELL = st.one_of(
    st.just("N/A"),
    st.just(""),
    st.integers(-5, 10**9).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet='0123456789.eE+-naif,"', max_size=8),
)


# No deadline: Hypothesis fails an example slower than 200 ms, a wall-clock check that a busy machine trips.
@settings(deadline=None)
@given(st.lists(CELL, min_size=20, max_size=20), st.lists(CELL, min_size=20, max_size=20))
def test_any_cells_either_parse_or_raise_bundle_error(tmp_path_factory, endpoint_cells, aggregate_cells):
    folder = tmp_path_factory.mktemp("run")
    row = ",".join(["GET", "/a", *endpoint_cells])
    aggregate = ",".join(["", "Aggregated", *aggregate_cells])
    write_stats(folder, row, aggregate)

    try:
        results = read_results(folder)
    except BundleError as exc:
        assert str(exc).startswith(str(folder))
        return
    for stats in (results.aggregate, *results.endpoints.values()):
        assert 0 <= stats.failures <= stats.requests
        assert all(value is None or (math.isfinite(value) and value >= 0) for value in stats.latency.values())


def _entry(method: str, name: str, histogram: dict[str, int], *, start: float, end: float) -> dict:
    count = sum(histogram.values())
    return {
        "name": name,
        "method": method,
        "last_request_timestamp": end,
        "start_time": start,
        "num_requests": count,
        "num_none_requests": 0,
        "num_failures": 0,
        "total_response_time": sum(float(k) * v for k, v in histogram.items()),
        "max_response_time": max(float(k) for k in histogram),
        "min_response_time": min(float(k) for k in histogram),
        "total_content_length": 0,
        "response_times": histogram,
        "num_reqs_per_sec": {},
        "num_fail_per_sec": {},
    }
