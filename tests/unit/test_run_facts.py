"""run.json is RunFacts: one definition, written and read through it, compared by the settings it declares."""

import json
import re
from dataclasses import fields
from datetime import UTC, datetime

import pytest

from loadtest.bundle import BundleError, RunFacts, describe_fields, read_run_facts
from loadtest.bundle.facts import COMPARABLE, KINDS
from tests.conftest import ROOT

A_RUN = RunFacts(
    schema=1,
    preset="smoke",
    users=10,
    spawn_rate=10.0,
    run_time_s=60.0,
    wait_min_s=0.05,
    wait_max_s=0.15,
    workers=2,
    host="http://127.0.0.1:8000",
    target="sandbox",
    profile="none",
    git_commit="a" * 40,
    server_commit="b" * 40,
    start_command="gunicorn app.wsgi --bind 127.0.0.1:$PORT",
    server_exit="killed by SIGKILL",
    server_exited_at_s=12.5,
    locust_version="2.47.0",
    started_at=datetime(2026, 11, 25, 11, 33, tzinfo=UTC),
    ended_at=datetime(2026, 11, 25, 11, 34, tzinfo=UTC),
    exit_code=0,
    duration_s=11.4,
    interrupted=True,
    signal="SIGINT",
    stopped_by="no successful request for 15 s",
    stopped_at_s=25.0,
    tags=("dashboard",),
    exclude_tags=("write",),
    seed=3,
    endpoints=("GET /api/dashboard/",),
    lost_workers=({"id": "w1", "index": 1, "how": "quit", "at": "2026-11-25 11:33:30,000"},),
    design="blocks",
    block_s=10.0,
    base_host="http://127.0.0.1:8001",
    base_git_commit="b" * 40,
    base_server_exit="exit status 1",
    base_server_exited_at_s=4.0,
)


def test_every_field_is_set_in_the_example():
    assert all(getattr(A_RUN, f.name) not in (None, ()) for f in fields(RunFacts))


def test_run_json_reads_back_what_was_written(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(A_RUN.to_json()), encoding="utf-8")

    assert read_run_facts(path) == A_RUN


def test_lost_workers_are_kept_on_read(tmp_path):
    path = tmp_path / "run.json"
    path.write_text(json.dumps(A_RUN.to_json()), encoding="utf-8")

    assert read_run_facts(path).lost_workers[0]["id"] == "w1"


def test_times_are_written_in_utc_to_the_second():
    assert A_RUN.to_json()["started_at"] == "2026-11-25T11:33:00Z"
    assert RunFacts().to_json()["ended_at"] is None


def test_every_field_is_written_even_when_unknown():
    assert list(RunFacts().to_json()) == [f.name for f in fields(RunFacts)] == list(KINDS)


def test_a_bad_lost_workers_list_is_one_line(tmp_path):
    with pytest.raises(BundleError, match="run.json: field 'lost_workers' must be a list of objects, got"):
        RunFacts.from_json({"lost_workers": ["w1"]}, "run.json")


@pytest.mark.parametrize(
    ("field", "here", "there", "message"),
    [
        ("users", 10, 50, "users 10 here, 50 in the baseline"),
        ("run_time_s", 60.0, 300.0, "run length 60 s here, 5 min in the baseline"),
        ("wait_min_s", 0.05, 1.0, "shortest wait 0.05 s here, 1 s in the baseline"),
        ("wait_max_s", 0.15, 3.0, "longest wait 0.15 s here, 3 s in the baseline"),
        ("target", "sandbox", "external", "target sandbox here, external in the baseline"),
        ("profile", "none", "realistic", "latency profile none here, realistic in the baseline"),
    ],
)
def test_a_mismatch_names_the_setting_and_both_values(field, here, there, message):
    (mismatch,) = RunFacts(**{field: here}).mismatches(RunFacts(**{field: there}))

    assert mismatch.describe() == message


def test_settings_recorded_on_one_side_only_match_anything():
    assert RunFacts(users=10).mismatches(RunFacts(users=None, run_time_s=60.0)) == []


def test_settings_outside_the_comparable_ones_never_mismatch():
    assert RunFacts(seed=1, workers=1, host="a").mismatches(RunFacts(seed=2, workers=4, host="b")) == []
    assert set(COMPARABLE) == {
        "preset", "users", "run_time_s", "wait_min_s", "wait_max_s", "target", "profile"
    }  # fmt: skip


def test_every_field_is_described():
    assert [name for name, _ in describe_fields()] == list(KINDS)
    assert all(doc and "\n" not in doc for _, doc in describe_fields())


def test_the_documented_run_json_table_lists_every_field_with_its_description():
    page = (ROOT / "docs" / "bundle.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| (.+?) \|$", page, re.MULTILINE))
    missing = [name for name, doc in describe_fields() if rows.get(name) != doc]
    assert not missing, f"docs/bundle.md's run.json table lacks or misdescribes: {', '.join(missing)}"
