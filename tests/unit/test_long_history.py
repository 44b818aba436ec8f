"""The long history: entries, rolling per preset and target, one writer, bad input, size, and
``loadtest history export|import`` (in process: the commands' main)."""

import io
import json
import shutil
import zipfile
from dataclasses import replace

import pytest

from loadtest.bundle import AGGREGATE, EndpointStats, RunFacts
from loadtest.cli import changes as changes_cli
from loadtest.cli import history as history_cli
from loadtest.cli import record_baseline as record_cli
from loadtest.gate.history import History, HistoryError, HistoryRun
from loadtest.gate.history import dumps as history_dumps
from loadtest.gate.long_history import (
    LONG_HISTORY,
    LongHistory,
    LongRun,
    dumps,
    long_run,
    parse_long_history,
    read_long_history,
    seeded_from,
)
from tests.conftest import GATE_FIXTURES
from tests.synthetic_history import nightly_history

SIZE_LIMIT = 500_000


def run(preset="medium", target="sandbox", commit="a" * 40, day=1, typical=50.0) -> LongRun:
    return LongRun(
        commit=commit,
        ended_at=f"2026-01-{day:02d}T02:00:00Z",
        preset=preset,
        target=target,
        rows={
            AGGREGATE: (typical, 50, 120, 180, 96.2, 0),
            "GET /api/x/": (typical, 48, 110, 170, 6.79, 0.0012),
        },
    )


def test_an_entry_holds_the_typical_time_from_the_histogram_and_the_rows_numbers():
    histogram = {40.0: 10, 50.0: 80, 60.0: 10}
    row = EndpointStats(
        name="GET /api/x/",
        requests=100,
        failures=2,
        rps=5.0,
        latency={"p50": 50.0, "p95": 60.0},
        histogram=histogram,
    )
    entry = long_run(
        HistoryRun(
            facts=RunFacts(git_commit="b" * 40, preset="medium", target="sandbox"), rows={"GET /api/x/": row}
        )
    )
    typical, p50, p95, p99, rps, failure_ratio = entry.rows["GET /api/x/"]
    assert 49 < typical < 51 and (p50, p95, p99, rps, failure_ratio) == (50, 60, None, 5, 0.02)
    assert (entry.commit, entry.preset, entry.target) == ("b" * 40, "medium", "sandbox")


def test_rolling_keeps_the_newest_runs_of_each_preset_and_target_only():
    history = LongHistory(keep=3)
    for day in range(1, 6):
        history = history.rolled(run(day=day))
    history = history.rolled(run(target="external", day=9))
    assert [r.ended_at[8:10] for r in history.of("medium", "sandbox").runs] == ["03", "04", "05"]
    assert len(history.of("medium", "external")) == 1
    assert history.series_keys() == [("medium", "sandbox"), ("medium", "external")]


def test_a_baseline_with_only_history_json_seeds_the_long_history():
    histogram = {50.0: 100}
    row = EndpointStats(
        name="GET /x/", requests=100, failures=0, rps=1.0, latency={"p50": 50.0}, histogram=histogram
    )
    runs = tuple(HistoryRun(facts=RunFacts(git_commit=str(n) * 7), rows={"GET /x/": row}) for n in range(3))
    seeded = seeded_from(History(runs=runs))
    assert [r.commit for r in seeded.runs] == ["0000000", "1111111", "2222222"]
    assert seeded.runs[0].value("GET /x/", "typical") == 50


def test_the_writer_is_the_only_form_so_reading_and_writing_gives_the_same_bytes(tmp_path):
    text = dumps(nightly_history(1, runs=30))
    path = tmp_path / LONG_HISTORY
    path.write_text(text, encoding="utf-8")
    again = read_long_history(path)
    assert dumps(again) == text
    assert again == nightly_history(1, runs=30)


def test_400_runs_of_14_rows_stay_under_500_kB_in_the_artifact(capsys):
    history = nightly_history(7, runs=400)
    assert {len(r.rows) for r in history.runs} == {14}
    text = dumps(history).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(LONG_HISTORY, text)
    with capsys.disabled():
        print(
            f"\nlong-history.json, 400 runs x 14 rows: {len(text):,} bytes, {len(buffer.getvalue()):,} zipped"
        )
    assert len(text) < SIZE_LIMIT


def good() -> dict:
    return json.loads(dumps(LongHistory(runs=(run(),))))


def broken(change):
    data = good()
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(schema=2), "field 'schema' must be 1"),
        (lambda d: d.update(keep=0), "field 'keep' must be a whole number from 1 to 2000"),
        (lambda d: d.update(keep=True), "field 'keep'"),
        (lambda d: d.update(columns=["typical"]), "field 'columns' must be"),
        (lambda d: d.update(endpoints="x"), "field 'endpoints' must be a list"),
        (lambda d: d.update(endpoints=["a", "a"]), "names an endpoint twice"),
        (lambda d: d.update(runs={}), "field 'runs' must be a list"),
        (lambda d: d["runs"].append([]), "run 1: expected a JSON object"),
        (
            lambda d: d["runs"][0].update(ended_at="yesterday"),
            "run 0: field 'ended_at' is not an ISO-8601 time",
        ),
        (lambda d: d["runs"][0].update(commit=7), "run 0: field 'commit' must be a string"),
        (lambda d: d["runs"][0].update(rows=None), "run 0: field 'rows' must be a list"),
        (lambda d: d["runs"][0]["rows"].append([9, 1, 1, 1, 1, 1, 0]), "run 0: row 2: endpoint index 9"),
        (lambda d: d["runs"][0]["rows"].append([1, 1, 1, 1, 1, 1, 0]), "run 0: row 2: endpoint"),
        (lambda d: d["runs"][0]["rows"][0].pop(), "run 0: row 0: must be a list of 7"),
        (lambda d: d["runs"][0]["rows"][0].__setitem__(1, -1), "run 0: row 0: field 'typical' must be"),
        (
            lambda d: d["runs"][0]["rows"][0].__setitem__(6, 1.5),
            "run 0: row 0: field 'failure_ratio' must be",
        ),
        (lambda d: d["runs"][0]["rows"][0].__setitem__(2, "5"), "run 0: row 0: field 'p50' must be"),
        (lambda d: d.update(keep=1, runs=d["runs"] * 2), "more runs of one preset and target (2) than keep"),
    ],
)
def test_a_malformed_long_history_is_one_line_naming_the_field(change, message):
    with pytest.raises(Exception) as caught:
        parse_long_history(broken(change), "long-history.json")
    assert message in str(caught.value) and "\n" not in str(caught.value)
    assert str(caught.value).startswith("long-history.json")


def test_non_finite_numbers_are_refused_when_reading(tmp_path):
    path = tmp_path / LONG_HISTORY
    path.write_text(dumps(LongHistory(runs=(run(),))).replace("96.2", "NaN"), encoding="utf-8")
    with pytest.raises(HistoryError, match="long-history.json: line"):
        read_long_history(path)


# --- the commands ------------------------------------------------------------------------


def baseline_with_history(tmp_path, history: LongHistory):
    folder = tmp_path / "baseline"
    folder.mkdir()
    (folder / LONG_HISTORY).write_text(dumps(history), encoding="utf-8")
    return folder


@pytest.mark.parametrize("runs", [50, 400])
def test_export_then_import_round_trips_byte_for_byte(tmp_path, capsys, runs):
    baseline = baseline_with_history(tmp_path, nightly_history(2, runs=runs))
    original = (baseline / LONG_HISTORY).read_bytes()
    exported = tmp_path / "kept-elsewhere.json"
    assert history_cli.main(["export", str(baseline), "--out", str(exported)]) == 0
    assert exported.read_bytes() == original
    fresh = tmp_path / "fetched"
    fresh.mkdir()
    assert history_cli.main(["import", str(exported), "--baseline", str(fresh)]) == 0
    assert (fresh / LONG_HISTORY).read_bytes() == original
    assert f"history: {fresh / LONG_HISTORY}: {runs} runs" in capsys.readouterr().out


def test_a_malformed_file_to_import_is_exit_2_in_one_line_and_changes_nothing(tmp_path, capsys):
    baseline = baseline_with_history(tmp_path, nightly_history(2, runs=5))
    before = (baseline / LONG_HISTORY).read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(broken(lambda d: d["runs"][0].update(rows=None))), encoding="utf-8")
    assert history_cli.main(["import", str(bad), "--baseline", str(baseline)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.json: run 0: field 'rows'" in err and "Traceback" not in err
    assert (baseline / LONG_HISTORY).read_bytes() == before


def test_exporting_a_baseline_without_a_long_history_is_exit_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert history_cli.main(["export", str(tmp_path / "empty"), "--out", str(tmp_path / "x.json")]) == 2
    assert "long-history.json: no such file" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_record_baseline_rolls_the_previous_long_history_and_seeds_it_from_history_json(tmp_path, capsys):
    previous = tmp_path / "previous"
    previous.mkdir()
    histogram = {50.0: 100}
    row = EndpointStats(
        name="GET /x/", requests=100, failures=0, rps=1.0, latency={"p50": 50.0}, histogram=histogram
    )
    old = HistoryRun(
        facts=RunFacts(git_commit="0" * 40, preset="smoke", target="sandbox"), rows={"GET /x/": row}
    )
    (previous / "history.json").write_text(history_dumps(History(runs=(old,))), encoding="utf-8")
    out = tmp_path / "next"
    assert (
        record_cli.main([str(GATE_FIXTURES / "baseline"), "--previous", str(previous), "--out", str(out)])
        == 0
    )
    long = read_long_history(out / LONG_HISTORY)
    assert [r.commit[:7] for r in long.runs] == ["0000000", "1111111"]
    assert "long history of 2 runs" in capsys.readouterr().out
    out2 = tmp_path / "after"
    assert record_cli.main([str(GATE_FIXTURES / "pass"), "--previous", str(out), "--out", str(out2)]) == 0
    assert len(read_long_history(out2 / LONG_HISTORY)) == 3


def test_record_baseline_refuses_a_malformed_long_history_in_one_line(tmp_path, capsys):
    previous = tmp_path / "previous"
    shutil.copytree(GATE_FIXTURES / "baseline", previous)
    (previous / LONG_HISTORY).write_text('{"schema": 1, "keep": 400}', encoding="utf-8")
    out = tmp_path / "next"
    assert (
        record_cli.main([str(GATE_FIXTURES / "baseline"), "--previous", str(previous), "--out", str(out)])
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "long-history.json: field 'columns'" in err
    assert not out.exists()


def test_changes_refuses_a_malformed_long_history_in_one_line(tmp_path, capsys):
    baseline = baseline_with_history(tmp_path, LongHistory(runs=(run(),)))
    (baseline / LONG_HISTORY).write_text(
        dumps(LongHistory(runs=(replace(run(), ended_at="soon"),))), encoding="utf-8"
    )
    assert changes_cli.main([str(baseline)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "field 'ended_at'" in err
