"""Baseline fetching against the fake server: the right artifact, a token-free redirect, safe unpacking."""

import json

import pytest

from loadtest.bundle import RUN_FACTS
from loadtest.github.baseline import UnsafeArchiveError, fetch_baseline
from tests.fakes.github_client import TOKEN, client_for
from tests.fakes.github_server import FakeGitHub, make_bundle_zip, make_symlink_zip, make_zip, make_zip_bomb

pytestmark = pytest.mark.slow

NAME = "loadtest-baseline-smoke"


@pytest.fixture
def github():
    with FakeGitHub(token=TOKEN) as server:
        yield server


@pytest.fixture
def client(github):
    with client_for(github) as c:
        yield c


@pytest.fixture
def out_dir(tmp_path):
    return tmp_path / "baseline"


def bundle(sha):
    return make_bundle_zip(**{RUN_FACTS: json.dumps({"preset": "smoke", "commit": sha})})


def fetch(client, out_dir, **kwargs):
    return fetch_baseline(client, preset="smoke", out_dir=out_dir, **kwargs)


def assert_nothing_written(out_dir):
    assert not out_dir.exists()
    assert list(out_dir.parent.iterdir()) == [], "no temporary leftovers next to the destination"


def test_the_newest_runs_baseline_is_unpacked(github, client, out_dir):
    older = github.add_run(head_sha="1" * 40)
    github.add_artifact(older, NAME, bundle("1" * 40))
    newer = github.add_run(head_sha="2" * 40)
    github.add_artifact(newer, "loadtest-results-smoke", make_bundle_zip())
    github.add_artifact(newer, NAME, bundle("2" * 40))
    found = fetch(client, out_dir)
    assert (found.artifact.run_id, found.artifact.head_sha) == (newer, "2" * 40)
    assert json.loads((out_dir / RUN_FACTS).read_text())["commit"] == "2" * 40


def test_expired_artifacts_are_skipped(github, client, out_dir):
    older = github.add_run(head_sha="1" * 40)
    github.add_artifact(older, NAME, bundle("1" * 40))
    newer = github.add_run(head_sha="2" * 40)
    expired = github.add_artifact(newer, NAME, bundle("2" * 40), expired=True)
    found = fetch(client, out_dir)
    assert found.artifact.run_id == older
    assert github.requests_matching("GET", rf"/artifacts/{expired}/zip$") == []


def test_no_baseline_when_every_artifact_has_expired(github, client, out_dir):
    github.add_artifact(github.add_run(), NAME, bundle("1" * 40), expired=True)
    assert fetch(client, out_dir) is None
    assert_nothing_written(out_dir)


@pytest.mark.parametrize(
    "run",
    [
        {"event": "pull_request"},
        {"event": "workflow_dispatch"},
        {"event": "push", "head_repository": "someone/fork"},
        {"event": "push", "branch": "feature"},
        {"event": "push", "conclusion": "failure"},
        {"event": "push", "workflow": "other.yml"},
    ],
    ids=["pr-from-a-branch-called-main", "manual", "fork", "other-branch", "failed", "other-workflow"],
)
def test_only_successful_push_or_schedule_runs_of_this_repo_count(github, client, out_dir, run):
    github.add_artifact(github.add_run(**run), NAME, bundle("9" * 40))
    assert fetch(client, out_dir) is None


def test_the_redirect_is_followed_without_the_token(github, client, out_dir):
    artifact = github.add_artifact(github.add_run(event="schedule"), NAME, bundle("1" * 40))
    fetch(client, out_dir)
    (api,) = github.requests_matching("GET", rf"/artifacts/{artifact}/zip$")
    (storage,) = github.requests_matching("GET", rf"^/_storage/{artifact}$")
    assert api.authorization == f"Bearer {TOKEN}"
    assert not storage.has_authorization
    assert storage.query["sig"]


def test_a_zip_with_parent_entries_is_rejected_and_nothing_written(github, client, out_dir):
    evil = make_zip({RUN_FACTS: "{}", "../../escaped.txt": "pwned"})
    github.add_artifact(github.add_run(), NAME, evil)
    with pytest.raises(UnsafeArchiveError, match=r"unsafe path: '\.\./\.\./escaped\.txt'"):
        fetch(client, out_dir)
    assert_nothing_written(out_dir)
    assert not (out_dir.parent.parent / "escaped.txt").exists()


def test_a_zip_bomb_is_rejected_and_nothing_written(github, client, out_dir):
    bomb = make_zip_bomb()
    assert len(bomb) < 1024 * 1024
    github.add_artifact(github.add_run(), NAME, bomb)
    with pytest.raises(UnsafeArchiveError, match="zip bomb"):
        fetch(client, out_dir)
    assert_nothing_written(out_dir)


def test_a_symlink_is_rejected(github, client, out_dir):
    github.add_artifact(github.add_run(), NAME, make_symlink_zip())
    with pytest.raises(UnsafeArchiveError, match="symlink"):
        fetch(client, out_dir)
    assert_nothing_written(out_dir)


def test_an_artifact_that_is_not_a_bundle_is_rejected(github, client, out_dir):
    github.add_artifact(github.add_run(), NAME, make_zip({"notes.txt": "hello"}))
    with pytest.raises(UnsafeArchiveError, match=f"no {RUN_FACTS}"):
        fetch(client, out_dir)
    assert_nothing_written(out_dir)


def test_a_502_from_storage_is_retried(github, client, out_dir):
    artifact = github.add_artifact(github.add_run(), NAME, bundle("1" * 40))
    github.fail("GET", rf"^/_storage/{artifact}$", status=502)
    assert fetch(client, out_dir).artifact.artifact_id == artifact
    assert (out_dir / RUN_FACTS).is_file()
