"""loadtest record-baseline: the next baseline is this run plus a rolling history; bad input is one line."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import GATE_FIXTURES, run_loadtest

pytestmark = pytest.mark.slow


def record(*args: str, **options) -> subprocess.CompletedProcess:
    return run_loadtest("record-baseline", *args, **options)


def commits(baseline: Path) -> list[str]:
    history = json.loads((baseline / "history.json").read_text(encoding="utf-8"))
    return [run["commit"][:7] for run in history["runs"]]


@pytest.fixture
def run_bundle(tmp_path):
    """A copy of the fixture run ``name`` with its commit set to ``commit``."""

    def make(commit: str, name: str = "pass") -> Path:
        bundle = tmp_path / f"run-{commit}"
        shutil.copytree(GATE_FIXTURES / name, bundle)
        facts = json.loads((bundle / "run.json").read_text(encoding="utf-8"))
        (bundle / "run.json").write_text(json.dumps({**facts, "git_commit": commit * 40}), encoding="utf-8")
        return bundle

    return make


def test_a_first_baseline_starts_a_history_and_tells_the_workflow(tmp_path, run_bundle):
    output = tmp_path / "github_output"
    out = tmp_path / "baseline-next"

    done = record(
        str(run_bundle("1")),
        "--previous",
        str(tmp_path / "absent"),
        "--out",
        str(out),
        env={"GITHUB_OUTPUT": str(output), "PATH": ""},
        inherit_env=False,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"record_baseline: {out}: history of 1 runs (keeps 20), "
        "long history of 1 runs (keeps 400 per preset and target)\n"
    )
    assert commits(out) == ["1111111"]
    assert (out / "locust_stats.csv").is_file() and (out / "run.json").is_file()
    assert output.read_text(encoding="utf-8") == "recorded=true\n"


def test_an_empty_previous_folder_also_starts_a_history(tmp_path, run_bundle):
    (tmp_path / "baseline").mkdir()

    done = record(
        str(run_bundle("1")), "--previous", str(tmp_path / "baseline"), "--out", str(tmp_path / "o")
    )

    assert done.returncode == 0, done.stderr
    assert commits(tmp_path / "o") == ["1111111"]


def test_each_baseline_rolls_the_history_keeping_the_newest(tmp_path, run_bundle):
    previous = tmp_path / "none"
    for n in "1234":
        out = tmp_path / f"baseline-{n}"
        done = record(str(run_bundle(n)), "--previous", str(previous), "--out", str(out), "--keep", "3")
        assert done.returncode == 0, done.stderr
        previous = out

    assert commits(previous) == ["2222222", "3333333", "4444444"]


def test_a_callers_thresholds_file_sets_how_many_runs_are_kept(tmp_path, run_bundle):
    thresholds = tmp_path / "api-thresholds.json"
    thresholds.write_text(json.dumps({"regression": {"history": {"keep": 2}}}), encoding="utf-8")
    previous = tmp_path / "none"
    for n in "123":
        out = tmp_path / f"baseline-{n}"
        done = record(
            str(run_bundle(n)),
            "--previous",
            str(previous),
            "--thresholds",
            str(thresholds),
            "--out",
            str(out),
        )
        assert done.returncode == 0, done.stderr
        previous = out

    assert "(keeps 2)" in done.stdout
    assert commits(previous) == ["2222222", "3333333"]


def test_the_baseline_carries_the_trend_page_of_its_history(tmp_path, run_bundle):
    previous = tmp_path / "none"
    for n in "123":
        out = tmp_path / f"baseline-{n}"
        assert record(str(run_bundle(n)), "--previous", str(previous), "--out", str(out)).returncode == 0
        previous = out

    page = (previous / "trend.html").read_text(encoding="utf-8")

    assert "3 runs of the default branch, oldest first." in page
    runs = re.findall(r"<tr><td>(.*?)</td><td>(\w+)</td>", page)
    assert runs[:3] == [("1", "1111111"), ("2", "2222222"), ("newest", "3333333")]
    assert len(runs) == 3 * page.count('<section class="row"')  # each endpoint's section has its runs


def test_a_baseline_from_before_histories_becomes_the_first_run(tmp_path, run_bundle):
    done = record(str(run_bundle("2")), "--previous", str(run_bundle("1")), "--out", str(tmp_path / "o"))

    assert done.returncode == 0, done.stderr
    assert commits(tmp_path / "o") == ["1111111", "2222222"]


def test_runs_with_other_settings_are_dropped_so_a_retuned_preset_starts_afresh(tmp_path, run_bundle):
    old = tmp_path / "old"
    assert record(str(run_bundle("5", "baseline-50-users")), "--out", str(old)).returncode == 0

    done = record(str(run_bundle("6")), "--previous", str(old), "--out", str(tmp_path / "o"))

    assert done.returncode == 0, done.stderr
    assert "1 with other settings dropped" in done.stdout
    assert commits(tmp_path / "o") == ["6666666"]


def test_the_gate_uses_the_history_once_it_has_three_runs(tmp_path, run_bundle):
    previous, current = tmp_path / "none", run_bundle("9")
    for n in "123":
        out = tmp_path / f"baseline-{n}"
        assert record(str(run_bundle(n)), "--previous", str(previous), "--out", str(out)).returncode == 0
        previous = out
    gate = run_loadtest("compare", current, "--baseline", previous)

    assert "**Compared with:** the last 3 runs of the default branch" in gate.stdout
    assert "Latency judged against the band of the last 3 runs" in gate.stdout


def test_the_gate_says_so_when_the_history_is_too_short(tmp_path, run_bundle):
    out = tmp_path / "baseline"
    assert record(str(run_bundle("1")), "--out", str(out)).returncode == 0

    gate = run_loadtest("compare", run_bundle("9"), "--baseline", out)

    assert "Only 1 compatible run in the baseline history (3 needed)" in gate.stdout


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("not-a-bundle", "not a results bundle"),
        ("bad-history", "history.json: line 1: invalid JSON"),
        ("out-not-empty", "not empty: choose a new folder"),
        ("bad-keep", "--keep: must be a whole number >= 1"),
    ],
)
def test_bad_input_is_exit_2_with_one_line(tmp_path, run_bundle, setup, message):
    results, previous, out, extra = run_bundle("1"), tmp_path / "previous", tmp_path / "out", []
    if setup == "not-a-bundle":
        results = tmp_path / "nothing"
        results.mkdir()
    elif setup == "bad-history":
        shutil.copytree(run_bundle("2"), previous)
        (previous / "history.json").write_text("{", encoding="utf-8")
    elif setup == "out-not-empty":
        out.mkdir()
        (out / "keep-me").write_text("x", encoding="utf-8")
    else:
        extra = ["--keep", "0"]

    done = record(str(results), "--previous", str(previous), "--out", str(out), *extra)

    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) <= 2


def test_a_bad_thresholds_file_is_refused_before_anything_is_written(tmp_path, run_bundle):
    """With --keep the thresholds are read only for the trend page's change points: still before the
    baseline is written, so a refused run leaves no half baseline (history.json without its page)."""
    thresholds, out = tmp_path / "thresholds.json", tmp_path / "out"
    thresholds.write_text('{"changes": {"max_pvalue": {"value": 0.01}}}', encoding="utf-8")

    done = record(str(run_bundle("1")), "--out", str(out), "--keep", "5", "--thresholds", str(thresholds))

    assert done.returncode == 2, done.stdout + done.stderr
    assert "changes.max_pvalue" in done.stderr and "Traceback" not in done.stderr
    assert not out.exists() or not any(out.iterdir()), sorted(p.name for p in out.iterdir())
