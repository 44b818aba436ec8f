"""The comment artifact: what a PR run hands to the fork-safe comment workflow.

A pull_request run (maybe from a fork, with a read-only token) uploads a small
artifact named ``COMMENT_ARTIFACT_NAME``; the ``workflow_run`` comment workflow,
which holds the write token, downloads it. Its layout::

    summary.md    the markdown summary to post (UTF-8, at most MAX_SUMMARY_BYTES)
    pr-number     the pull request number: digits only, no sign, no leading zero
    head-sha      the 40-hex commit the run tested

The PR's own code produced these files, so the reader treats them as untrusted:
strict formats, size caps, no symlinks; and before posting, the PR the artifact names must be
the run's (``verify_pr_head``): its current head commit, head repository and head branch must be
those of the run that produced the artifact, as the trusted workflow_run event names them. The
summary is sanitised before it is posted (loadtest.github.comment), under a line the poster
writes itself saying where it came from (``provenance_line``).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from loadtest.bundle import SUMMARY_MD
from loadtest.github.client import GitHubClient, GitHubError, json_of
from loadtest.github.commits import is_full_commit
from loadtest.github.environment import GitHubEnv
from loadtest.text.summary_limits import SUMMARY_MARKER, fit_comment
from loadtest.text.untrusted import code_span

COMMENT_ARTIFACT_NAME = "loadtest-comment"
"""The artifact name both workflows use."""
SUMMARY_FILE = SUMMARY_MD
"""Same name as the summary inside a results bundle."""
PR_NUMBER_FILE = "pr-number"
HEAD_SHA_FILE = "head-sha"

MAX_SUMMARY_BYTES = 1024 * 1024
"""Like $GITHUB_STEP_SUMMARY's cap; the comment itself is trimmed to fit GitHub's limit later."""
_MAX_SMALL_FILE_BYTES = 64
_PR_NUMBER = re.compile(r"[1-9][0-9]{0,9}\n?")
_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_RUN_URL = re.compile(r"https://[A-Za-z0-9.:-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/actions/runs/[0-9]+")


class InvalidArtifactError(ValueError):
    """The comment artifact is missing a file or holds something it must not."""


class HeadMismatchError(GitHubError):
    """The PR's head is not the commit the run tested: stale run, or an artifact naming another PR."""


@dataclass(frozen=True, kw_only=True)
class CommentArtifact:
    pr_number: int
    head_sha: str
    summary: str


@dataclass(frozen=True, kw_only=True)
class TestedHead:
    """What the run that made the artifact tested, from the trusted workflow_run event."""

    sha: str
    repository: str
    """``owner/name`` of the head repository: the fork's, for a fork's pull request."""
    branch: str

    @classmethod
    def from_event(
        cls, event: Mapping[str, Any], *, sha: str = "", repository: str = "", branch: str = ""
    ) -> TestedHead:
        """The event's ``workflow_run`` head, each part overridable; InvalidArtifactError if one lacks."""
        run = _object(event, "workflow_run")
        repository = repository or str(_object(run, "head_repository").get("full_name") or "")
        branch = branch or str(run.get("head_branch") or "")
        if not _REPOSITORY.fullmatch(repository):
            raise InvalidArtifactError(
                f"--expected-head-repository: {repository[:100]!r} is not owner/name "
                "(the workflow_run event names none)"
            )
        if not branch or not branch.isprintable():
            raise InvalidArtifactError("--expected-head-branch: the workflow_run event names no head branch")
        sha = parse_head_sha(sha or str(run.get("head_sha", "")), what="--expected-head-sha")
        return cls(sha=sha, repository=repository, branch=branch)


def provenance_line(event: Mapping[str, Any]) -> str:
    """The line the poster writes under an artifact's summary: whose code wrote it, and which run."""
    run = _object(event, "workflow_run")
    run_id, url = run.get("id"), str(run.get("html_url") or "")
    if isinstance(run_id, int) and not isinstance(run_id, bool):
        which = f"[run {run_id}]({url})" if _RUN_URL.fullmatch(url) else f"run {run_id}"
    else:
        which = "a pull-request run"
    return (
        f"<sub>Posted by the load-test comment workflow from the artifact of {which}; "
        "the pull request's own code produced it.</sub>"
    )


def _object(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def parse_pr_number(text: str) -> int:
    """A positive integer written as digits only (one trailing newline allowed)."""
    if not _PR_NUMBER.fullmatch(text):
        raise InvalidArtifactError(f"{PR_NUMBER_FILE}: {text[:20]!r} is not a positive integer")
    return int(text)


def parse_head_sha(text: str, *, what: str = HEAD_SHA_FILE) -> str:
    """A full commit id, lower-case hex (loadtest.github.commits; one trailing newline allowed)."""
    sha = text.removesuffix("\n")
    if not is_full_commit(sha):
        raise InvalidArtifactError(f"{what}: {text[:70]!r} is not a full lower-case hex commit id")
    return sha


def read_untrusted_text(path: Path, *, max_bytes: int) -> str:
    """A regular file's UTF-8 text, refusing symlinks, oversize files and NUL bytes."""
    if path.is_symlink() or not path.is_file():
        raise InvalidArtifactError(f"{path.name}: missing or not a regular file")
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidArtifactError(f"{path.name}: larger than {max_bytes} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArtifactError(f"{path.name}: not UTF-8 text") from None
    if "\x00" in text:
        raise InvalidArtifactError(f"{path.name}: holds NUL bytes")
    return text


def read_comment_artifact(directory: Path) -> CommentArtifact:
    """Read and validate an unpacked comment artifact; raise InvalidArtifactError if anything is off."""
    if directory.is_symlink() or not directory.is_dir():
        raise InvalidArtifactError(f"{directory}: not a directory")
    return CommentArtifact(
        pr_number=parse_pr_number(
            read_untrusted_text(directory / PR_NUMBER_FILE, max_bytes=_MAX_SMALL_FILE_BYTES)
        ),
        head_sha=parse_head_sha(
            read_untrusted_text(directory / HEAD_SHA_FILE, max_bytes=_MAX_SMALL_FILE_BYTES)
        ),
        summary=read_untrusted_text(directory / SUMMARY_FILE, max_bytes=MAX_SUMMARY_BYTES),
    )


def write_comment_artifact(out_dir: Path, *, summary: str, pr_number: int, head_sha: str) -> None:
    """Write the layout the comment workflow reads, validated the same way it will be read.

    The summary is held within GitHub's comment limit (``fit_comment``), so it always fits
    MAX_SUMMARY_BYTES: an artifact too large to read would leave the PR without a comment.
    """
    parse_pr_number(str(pr_number))
    parse_head_sha(head_sha)
    summary = fit_comment(summary)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / SUMMARY_FILE).write_text(summary, encoding="utf-8")
    (out_dir / PR_NUMBER_FILE).write_text(str(pr_number), encoding="utf-8")
    (out_dir / HEAD_SHA_FILE).write_text(head_sha, encoding="utf-8")


def verify_pr_head(client: GitHubClient, artifact: CommentArtifact, *, tested: TestedHead) -> None:
    """Refuse unless the artifact and the PR it names are those of the run that made the artifact.

    ``tested`` comes from the trusted workflow_run event, not from the artifact: the PR's current head
    must be that commit, in that repository, on that branch. A commit alone is not enough: two pull
    requests (a fork's copy of a branch) can have the same head commit.
    """
    if artifact.head_sha != tested.sha:
        raise HeadMismatchError(
            f"the artifact names commit {artifact.head_sha[:12]}, but the run tested {tested.sha[:12]}"
        )
    try:
        pull = json_of(client.request("GET", client.repo_url(f"pulls/{artifact.pr_number}")))
    except GitHubError as exc:
        if exc.status == 404:
            raise HeadMismatchError(f"PR #{artifact.pr_number} does not exist in this repository") from None
        raise
    head = (pull.get("head") if isinstance(pull, dict) else None) or {}
    pr_head = str(head.get("sha", ""))
    if pr_head != tested.sha:
        raise HeadMismatchError(
            f"PR #{artifact.pr_number} is at {pr_head[:12] or 'an unknown commit'}, not at the tested "
            f"{tested.sha[:12]}: pushed again since, or the artifact names another PR; not posting"
        )
    repository = str((head.get("repo") or {}).get("full_name", ""))
    branch = str(head.get("ref", ""))
    if repository.lower() != tested.repository.lower() or branch != tested.branch:
        where = f"{repository or 'a deleted repository'}:{branch}"
        raise HeadMismatchError(
            f"PR #{artifact.pr_number} comes from {where[:200]}, but the run tested "
            f"{tested.repository}:{tested.branch}: the artifact names another PR; not posting"
        )


def pr_number_argument(text: str) -> int:
    """An argparse type: a pull request number (or a run id), digits only."""
    try:
        return parse_pr_number(text)
    except InvalidArtifactError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer") from None


def read_summary(path: Path) -> str:
    """The markdown summary a run wrote (trusted: the run's own file, not an artifact's)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidArtifactError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise OSError(f"cannot read the summary {path}: {exc.strerror or exc}") from None


def no_result_summary(path: Path, environ: Mapping[str, str] | None = None) -> str:
    """What the PR is told when the run ended before the gate wrote a summary."""
    # No link: the poster sanitises links away, and links the run itself under the summary.
    run = GitHubEnv.from_environ(environ).run_id
    where = f"the log of run {run}" if run.isdigit() else "the run's log"
    return (
        f"{SUMMARY_MARKER}\n### ❌ Load test: no result\n\n"
        f"The load test ended before the gate wrote its summary ({code_span(path.name)} is missing), "
        f"so this change was not measured. See {where} for why.\n"
    )
