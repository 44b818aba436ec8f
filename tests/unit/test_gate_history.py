"""The baseline history: entries, compact histograms, rolling, compatibility, bad input, size."""

import json
import math
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtest.bundle import AGGREGATE, EndpointStats, Results, RunFacts
from loadtest.gate.history import (
    History,
    HistoryError,
    HistoryRun,
    dumps,
    pack_histogram,
    read_history,
    run_from_results,
    unpack_histogram,
)

ENDPOINTS = [f"GET /api/endpoint-{n:02d}/" for n in range(13)]


def row(name: str, histogram: dict[float, int], *, p95: float = 120.0) -> EndpointStats:
    requests = sum(histogram.values())
    return EndpointStats(
        name=name,
        requests=requests,
        failures=0,
        rps=requests / 120,
        latency={"p50": 50.0, "p95": p95, "p99": 180.0, "avg": 58.25, "max": 300.0},
        histogram=histogram,
    )


def run_of(**facts) -> HistoryRun:
    """A history entry with these facts and no rows."""
    return HistoryRun(facts=RunFacts(**facts))


def lognormal_histogram(rng: random.Random, requests: int) -> dict[float, int]:
    """Lognormal response times (median 50 ms, p95 125 ms) rounded as Locust rounds them."""
    histogram: dict[float, int] = {}
    for _ in range(requests):
        ms = 50 * math.exp(rng.gauss(0, 0.557))
        bucket = float(round(ms)) if ms < 100 else float(round(ms, -1)) if ms < 1000 else float(round(ms, -2))
        histogram[bucket] = histogram.get(bucket, 0) + 1
    return histogram


def results(commit: str = "a" * 40, *, users: int = 10, rows: dict | None = None) -> Results:
    rows = rows or {"GET /a/": row("GET /a/", {48.0: 3, 52.0: 5, 130.0: 1})}
    aggregate = row(AGGREGATE, {})
    facts = RunFacts(
        preset="smoke",
        users=users,
        run_time_s=120.0,
        target="sandbox",
        git_commit=commit,
        ended_at=datetime(2026, 11, 25, 11, 34, tzinfo=UTC),
    )
    return Results(
        source=Path("run"),
        facts=facts,
        aggregate=aggregate,
        endpoints=rows,
        failures=(),
        percentiles_from="histograms",
    )


def test_an_entry_keeps_the_run_facts_metrics_and_histograms(tmp_path):
    path = tmp_path / "history.json"
    path.write_text(dumps(History().rolled(run_from_results(results()))), encoding="utf-8")

    (run,) = read_history(path).runs

    facts = run.facts
    assert (facts.git_commit, facts.preset, facts.users, facts.run_time_s, facts.target) == (
        "a" * 40,
        "smoke",
        10,
        120.0,
        "sandbox",
    )
    assert facts.ended_at == datetime(2026, 11, 25, 11, 34, tzinfo=UTC)
    assert run.rows["GET /a/"].histogram == {48.0: 3, 52.0: 5, 130.0: 1}
    assert run.rows["GET /a/"].latency == {"p50": 50.0, "p95": 120.0, "p99": 180.0, "avg": 58.2}


def test_the_aggregate_histogram_is_not_stored_but_summed_from_the_endpoints(tmp_path):
    rows = {"GET /a/": row("GET /a/", {50.0: 2}), "GET /b/": row("GET /b/", {50.0: 1, 70.0: 4})}
    text = dumps(History().rolled(run_from_results(results(rows=rows))))
    (tmp_path / "history.json").write_text(text, encoding="utf-8")

    (run,) = read_history(tmp_path / "history.json").runs

    assert "histogram" not in json.loads(text)["runs"][0]["rows"][AGGREGATE]
    assert run.rows[AGGREGATE].histogram == {50.0: 3, 70.0: 4}


@given(st.dictionaries(st.integers(0, 60_000).map(float), st.integers(1, 10_000), max_size=50))
def test_a_packed_histogram_unpacks_to_itself(histogram):
    assert unpack_histogram(pack_histogram(histogram), "test") == histogram


def test_a_packed_histogram_is_steps_between_buckets():
    assert pack_histogram({52.0: 5, 48.0: 3, 130.0: 1}) == [48, 3, 4, 5, 78, 1]


def test_rolling_keeps_the_newest_runs_and_drops_the_oldest():
    history = History(keep=20)
    for n in range(25):
        history = history.rolled(run_of(git_commit=f"{n:02d}"))

    assert len(history) == 20
    assert [run.facts.git_commit for run in history.runs] == [f"{n:02d}" for n in range(5, 25)]


def test_rolling_with_a_smaller_keep_shrinks_the_history():
    history = History(runs=tuple(run_of(git_commit=str(n)) for n in range(20)))

    assert [run.facts.git_commit for run in history.rolled(run_of(git_commit="new"), keep=3).runs] == [
        "18",
        "19",
        "new",
    ]


def test_runs_with_other_settings_are_left_out_with_the_reason():
    history = History(
        runs=(
            run_of(git_commit="1", preset="smoke", users=10, run_time_s=120.0, target="sandbox"),
            run_of(git_commit="2", preset="smoke", users=50, run_time_s=120.0, target="sandbox"),
            run_of(git_commit="3", preset="smoke", users=10, run_time_s=60.0, target="sandbox"),
            run_of(git_commit="4", preset=None, users=None),
        )
    )

    kept, reasons = history.compatible_with(results().facts, preset="smoke")

    assert [run.facts.git_commit for run in kept.runs] == ["1", "4"]
    assert reasons == ["users 50", "run length 60.0"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "line 1: invalid JSON"),
        ("[]", 'expected an object with a "runs" list'),
        ('{"schema": 2, "runs": []}', "schema 2 is not 1"),
        ('{"schema": 1, "keep": 0, "runs": []}', "field 'keep' must be a whole number >= 1"),
        ('{"schema": 1, "runs": [7]}', "run 0: expected a JSON object, found int"),
        ('{"schema": 1, "runs": [{"rows": []}]}', "run 0: field 'rows' must be an object"),
        (
            '{"schema": 1, "runs": [{"users": "ten", "rows": {}}]}',
            "run 0: field 'users' must be a whole number >= 0",
        ),
        ('{"schema": 1, "runs": [{"rows": {"GET /a/": {"requests": -1}}}]}', "field 'requests'"),
        (
            '{"schema":1,"runs":[{"rows":{"GET /a/":{"requests":1,"failures":0,"histogram":[1]}}}]}',
            "pairs of step and count",
        ),
        (
            '{"schema": 1, "runs": [{"rows": {"GET /a/": {"requests": 1, "failures": 0, "p95": "x"}}}]}',
            "field 'p95' must be a finite number >= 0 \\(at most 1e15\\), got 'x'",
        ),
    ],
)
def test_a_bad_history_is_one_clear_line(tmp_path, text, message):
    path = tmp_path / "history.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(HistoryError, match=message) as caught:
        read_history(path)

    assert str(path) in str(caught.value) and "\n" not in str(caught.value)


def test_twenty_smoke_runs_of_thirteen_endpoints_stay_small(tmp_path):
    """The size the README states: 20 runs, 13 endpoints of 150 to 800 lognormal requests each."""
    rng = random.Random(20)
    history = History()
    for n in range(20):
        rows = {name: row(name, lognormal_histogram(rng, rng.randint(150, 800))) for name in ENDPOINTS}
        history = history.rolled(run_from_results(results(f"{n:040d}", rows=rows)))

    size = len(dumps(history).encode())

    assert len(history) == 20
    assert 50_000 < size < 250_000


TODAYS_HISTORY = (
    '{"schema": 1, "keep": 20, "runs": [\n'
    '  {"commit":"4f2a9c1","ended_at":"2026-11-25T11:34:00Z","preset":"smoke","users":10,'
    '"run_time_s":60.0,"wait_min_s":0.05,"wait_max_s":0.15,"target":"sandbox","profile":"none",'
    '"duration_s":59.6,"rows":{"GET /a/":{"requests":9,"failures":0,"rps":0.151,"p50":50,"p95":130,'
    '"p99":130,"avg":58.2,"histogram":[48,3,4,5,78,1]},"Aggregated":{"requests":9,"failures":0,'
    '"rps":0.151,"p50":50,"p95":130,"p99":130,"avg":58.2}}}\n'
    "]}\n"
)
"""history.json as record_baseline has written it since histories began (``commit``, not ``git_commit``)."""


def test_a_history_written_before_run_facts_still_reads_and_writes_back_the_same(tmp_path):
    path = tmp_path / "history.json"
    path.write_text(TODAYS_HISTORY, encoding="utf-8")

    history = read_history(path)

    (run,) = history.runs
    assert run.facts == RunFacts(
        git_commit="4f2a9c1",
        ended_at=datetime(2026, 11, 25, 11, 34, tzinfo=UTC),
        preset="smoke",
        users=10,
        run_time_s=60.0,
        wait_min_s=0.05,
        wait_max_s=0.15,
        target="sandbox",
        profile="none",
    )
    assert run.duration_s == 59.6 and run.rows["GET /a/"].histogram == {48.0: 3, 52.0: 5, 130.0: 1}
    assert run.rows[AGGREGATE].histogram == {48.0: 3, 52.0: 5, 130.0: 1}
    assert dumps(history) == TODAYS_HISTORY
