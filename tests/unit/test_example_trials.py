"""How ``python -m tools example-trials`` counts a pull request's checks on the example API: a false
alarm is an A/A check that fails; a detection is an N+1 check that fails on the library view itself."""

import json
from pathlib import Path

import pytest

from loadtest.bundle import VERDICT_JSON
from tools.calibration.example_trials import (
    N_PLUS_ONE_ENDPOINT,
    TRIAL_FACTS,
    TrialSettings,
    render,
    result_of,
)


def trial(
    root: Path, name: str, kind: str, verdict: str | None, failing: list[str] = (), wall_s=70.0
) -> Path:
    folder = root / "runs" / name
    folder.mkdir(parents=True)
    facts = {
        "kind": kind,
        "exit_code": {"pass": 0, "fail": 1, None: 3}[verdict],
        "wall_s": wall_s,
        "left_running": 0,
    }
    (folder / TRIAL_FACTS).write_text(json.dumps(facts), encoding="utf-8")
    if verdict is not None:
        findings = [{"level": "fail", "scope": scope} for scope in failing]
        findings.append({"level": "warn", "scope": N_PLUS_ONE_ENDPOINT})
        verdict_json = {"verdict": verdict, "headline": f"{verdict.upper()}: ...", "findings": findings}
        (folder / VERDICT_JSON).write_text(json.dumps(verdict_json), encoding="utf-8")
    return folder


@pytest.fixture
def trials(tmp_path):
    return [
        result_of(trial(tmp_path, "aa-000", "aa", "pass")),
        result_of(trial(tmp_path, "aa-001", "aa", "fail", ["GET /api/dashboard/"])),
        result_of(trial(tmp_path, "aa-002", "aa", None, wall_s=12.0)),
        result_of(
            trial(
                tmp_path,
                "n-plus-one-000",
                "n-plus-one",
                "fail",
                ["POST /api/accounts/sign-up/", N_PLUS_ONE_ENDPOINT],
            )
        ),
        # Failed, but not on the view the N+1 slowed (a warning there is not a detection).
        result_of(trial(tmp_path, "n-plus-one-001", "n-plus-one", "fail", ["POST /api/accounts/sign-up/"])),
        result_of(trial(tmp_path, "n-plus-one-002", "n-plus-one", "pass", wall_s=90.0)),
    ]


def test_an_aa_check_that_fails_is_a_false_alarm_and_one_without_a_verdict_is_counted_apart(trials):
    text = render(TrialSettings(trials=3), trials)
    assert "- false alarms (A/A, base and head the same commit): 1/3 (" in text
    assert "- no verdict (exit 3): 1/6" in text


def test_an_n_plus_one_check_is_a_detection_only_when_it_fails_on_the_library_view(trials):
    text = render(TrialSettings(trials=3), trials)
    assert f"- N+1 caught and {N_PLUS_ONE_ENDPOINT} named: 1/3 (" in text
    assert "(failed at all: 2/3)" in text


def test_the_wall_time_of_a_check_is_reported_from_every_trial(trials):
    text = render(TrialSettings(trials=3), trials)
    assert "median 70.0 s, min 12.0 s, max 90.0 s" in text
