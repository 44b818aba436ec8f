"""What a workflow run should do, decided from the GitHub event and the action's inputs.

The workflow YAML and action.yml stay free of logic: they ask ``loadtest plan``
(``python3 -m loadtest plan``, before anything is installed) and wire its outputs into steps:

- the mode: ``load-test`` on pull_request, push, schedule and workflow_dispatch; ``comment`` on the
  workflow_run of a pull request's load test; ``skip`` on any other workflow_run;
- the preset (the one asked for, else the event's) and the job's time limit from its run time, so
  a preset file stays the only place that says how long a run takes;
- whether to fetch a baseline, to record one, and to write the PR comment artifact;
- the workflow file whose runs hold the baselines (from GITHUB_WORKFLOW_REF);
- the caller's thresholds file and presets folder, checked, as absolute paths;
- where the action keeps its virtual environment and its files, and the name of the results artifact
  (one definition: the upload uses it, and the gate's summary says where the trend page is).

It needs nothing but the standard library.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtest.bundle.files import BundleError, read_json
from loadtest.bundle.layout import SUMMARY_MD, TREND_PAGE, VERDICT_JSON
from loadtest.config import DEFAULT_WORKFLOW
from loadtest.github.actions import default_branch, load_event
from loadtest.github.commits import is_full_commit
from loadtest.github.environment import GitHubEnv
from loadtest.presets import available, load_preset

PR_PRESET = "smoke"
NIGHTLY_PRESET = "medium"
SETUP_MARGIN_MIN = 10
"""Minutes for checkout, install, baseline download, report upload and Locust's shutdown."""
LOAD_TEST_EVENTS = frozenset({"pull_request", "push", "schedule", "workflow_dispatch"})
COMMENT_EVENT = "workflow_run"
BASELINE_CHOICES = ("auto", "none")
COMMENT_CHOICES = ("auto", "off")
COMPARE_BASE_CHOICES = ("auto", "true", "false")
"""``auto``: a pull request's run of a started API (``start``) also starts its base; ``true``: always
(an error where there is no base); ``false``: never."""
WORK_DIR_NAME = "amal-loadtest"
"""The action's own folder under $RUNNER_TEMP: its virtual environment and the run's files."""

_WORKFLOW_FILE = re.compile(r"/\.github/workflows/([^/@]+\.ya?ml)@")


class PlanError(ValueError):
    """An event or an input the plan cannot work with; the message says which and what to do."""


@dataclass(frozen=True, kw_only=True)
class Request:
    """What the caller asked for (the action's inputs); every field may be left empty."""

    preset: str = ""
    presets_dir: Path | None = None
    """A folder of the caller's own presets, relative to the workspace or absolute."""
    thresholds: Path | None = None
    """The caller's thresholds file, relative to the workspace or absolute; None: this repository's."""
    baseline: str = "auto"
    comment: str = "auto"
    compare_base: str = "auto"
    start: bool = False
    """Whether the caller starts the API from its checkout (the action's ``start``)."""


@dataclass(frozen=True, kw_only=True)
class Context:
    """The run's GitHub context: the event, the workflow, the workspace and the runner's temp folder."""

    event_name: str = ""
    ref: str = ""
    event: Mapping[str, Any] = field(default_factory=dict)
    workflow_ref: str = ""
    """GITHUB_WORKFLOW_REF: ``owner/repo/.github/workflows/NAME.yml@refs/heads/main``."""
    workspace: Path = Path(".")
    """Where the caller's paths are relative to: GITHUB_WORKSPACE, else here."""
    work_dir: Path = Path(tempfile.gettempdir()) / WORK_DIR_NAME
    run_id: str = "0"
    run_attempt: str = "1"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Context:
        env = os.environ if environ is None else environ
        github = GitHubEnv.from_environ(env)
        temp = env.get("RUNNER_TEMP", "") or tempfile.gettempdir()
        return cls(
            event_name=github.event_name,
            ref=github.ref,
            event=load_event(github.event_path),
            workflow_ref=github.workflow_ref,
            workspace=Path(github.workspace or "."),
            work_dir=Path(temp) / WORK_DIR_NAME,
            run_id=github.run_id or "0",
            run_attempt=github.run_attempt or "1",
        )


@dataclass(frozen=True, kw_only=True)
class CiPlan:
    mode: str
    """``load-test``, ``comment`` or ``skip``."""
    work_dir: Path
    preset: str = ""
    timeout_minutes: int | None = None
    record_baseline: bool = False
    """Only passing runs on the default branch (push or schedule) may become the baseline."""
    fetch_baseline: bool = False
    comment_artifact: bool = False
    """A pull request's run writes the artifact the comment workflow posts."""
    workflow: str = DEFAULT_WORKFLOW
    results_artifact: str = ""
    thresholds: Path | None = None
    presets_dir: Path | None = None
    reason: str = ""
    """Why the mode is ``skip``."""
    base_sha: str = ""
    """The pull request's base commit, measured beside the head on this runner; empty: no base."""

    @property
    def files(self) -> Path:
        """This run's files: one folder per preset, so two presets in one job keep theirs apart."""
        return self.work_dir / (self.preset or self.mode)

    @property
    def bundle(self) -> Path:
        return self.files / "results"

    def outputs(self) -> dict[str, str]:
        return {
            "mode": self.mode,
            "preset": self.preset,
            "timeout-minutes": str(self.timeout_minutes or ""),
            "record-baseline": _flag(self.record_baseline),
            "fetch-baseline": _flag(self.fetch_baseline),
            "comment-artifact": _flag(self.comment_artifact),
            "workflow": self.workflow,
            "results-artifact": self.results_artifact,
            "thresholds": str(self.thresholds or ""),
            "presets-dir": str(self.presets_dir or ""),
            "venv": str(self.work_dir / "venv"),
            "bundle-path": str(self.bundle),
            "summary-path": str(self.bundle / SUMMARY_MD),
            "verdict-path": str(self.bundle / VERDICT_JSON),
            "trend-path": str(self.bundle / TREND_PAGE),
            "baseline-path": str(self.files / "baseline"),
            "next-baseline-path": str(self.files / "baseline-next"),
            "comment-path": str(self.files / "comment"),
            "compare-base": _flag(bool(self.base_sha)),
            "base-sha": self.base_sha,
            "base-dir": str(self.work_dir / "base-checkout") if self.base_sha else "",
        }


def plan_for_event(context: Context, request: Request = Request()) -> CiPlan:
    """The plan for this event and these inputs; PlanError (or PresetError) on anything unusable."""
    for name, value, choices in (
        ("baseline", request.baseline, BASELINE_CHOICES),
        ("comment", request.comment, COMMENT_CHOICES),
        ("compare-base", request.compare_base, COMPARE_BASE_CHOICES),
    ):
        if value not in choices:
            raise PlanError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    if context.event_name == COMMENT_EVENT:
        return _comment_plan(context, request)
    if context.event_name and context.event_name not in LOAD_TEST_EVENTS:
        raise PlanError(
            f"the load test does not run on {context.event_name}: use pull_request, push, schedule or "
            f"workflow_dispatch for the load test, and {COMMENT_EVENT} for its comment"
        )
    presets_dir = _in_workspace(context, request.presets_dir)
    preset = request.preset or _default_preset(context.event_name)
    spec = load_preset(preset, presets_dir)  # PresetError for a name that is not a preset
    thresholds = _in_workspace(context, request.thresholds)
    if thresholds is not None:
        check_thresholds_file(thresholds, presets_dir)
    on_default_branch = context.ref == f"refs/heads/{default_branch(context.event)}"
    wants_baseline = request.baseline == "auto"
    base_sha = _base_sha(context, request)
    return CiPlan(
        mode="load-test",
        work_dir=context.work_dir,
        preset=preset,
        timeout_minutes=math.ceil(spec.run_time_for(with_base=bool(base_sha)) / 60) + SETUP_MARGIN_MIN,
        record_baseline=wants_baseline and context.event_name in ("push", "schedule") and on_default_branch,
        fetch_baseline=wants_baseline,
        comment_artifact=context.event_name == "pull_request" and request.comment == "auto",
        workflow=workflow_file(context.workflow_ref),
        results_artifact=f"loadtest-results-{preset}-{context.run_id}-{context.run_attempt}",
        thresholds=thresholds,
        presets_dir=presets_dir,
        base_sha=base_sha,
    )


def _base_sha(context: Context, request: Request) -> str:
    """The pull request's base commit when its base is to be measured beside the head; else empty."""
    if request.compare_base == "false" or (request.compare_base == "auto" and not request.start):
        return ""
    pull_request = context.event.get("pull_request") if context.event_name == "pull_request" else None
    base = pull_request.get("base") if isinstance(pull_request, Mapping) else None
    sha = base.get("sha") if isinstance(base, Mapping) else None
    sha = sha if isinstance(sha, str) else ""
    if request.compare_base == "true":
        if not request.start:
            raise PlanError("compare-base: true starts the base as `start` starts the head: set `start`")
        if not is_full_commit(sha):
            raise PlanError("compare-base: true needs a pull_request event with its base commit")
    return sha if is_full_commit(sha) else ""


def _default_preset(event_name: str) -> str:
    """PRs, pushes and a dispatch without a choice run smoke; the nightly schedule a heavier preset."""
    return NIGHTLY_PRESET if event_name == "schedule" else PR_PRESET


def _comment_plan(context: Context, request: Request) -> CiPlan:
    """On workflow_run: post the comment of a pull request's load test, or say why not."""
    run = context.event.get("workflow_run")
    run = run if isinstance(run, Mapping) else {}
    reason = ""
    if request.comment == "off":
        reason = "comment is off"
    elif run.get("event") != "pull_request":
        reason = f"the load test ran on {run.get('event') or 'an unknown event'}, not on a pull request"
    elif run.get("conclusion") == "cancelled":
        reason = "the load test was cancelled"
    return CiPlan(mode="skip" if reason else "comment", work_dir=context.work_dir, reason=reason)


def workflow_file(workflow_ref: str) -> str:
    """``loadtest.yml`` from ``owner/repo/.github/workflows/loadtest.yml@refs/heads/main``; the default
    when the runner does not say (act, local use)."""
    found = _WORKFLOW_FILE.search(workflow_ref)
    return found.group(1) if found else DEFAULT_WORKFLOW


def _in_workspace(context: Context, path: Path | None) -> Path | None:
    """A caller's path, relative to its workspace, as an absolute path (the action runs elsewhere)."""
    if path is None:
        return None
    return (context.workspace / path).absolute()


def check_thresholds_file(path: Path, presets_dir: Path | None) -> None:
    """Before any load: the file exists, is JSON, and names only presets that exist. Its schema is the
    gate's to check; the preset names are the plan's, because only it knows the caller's presets."""
    if not path.exists():
        raise PlanError(f"thresholds {path}: no such file (a path in your repository, from its root)")
    try:
        # The gate's own reader: nesting, huge integers and repeated keys refused in one line.
        document = read_json(path)
    except BundleError as exc:
        raise PlanError(f"thresholds {exc}") from None
    known = available(presets_dir)
    for where, name in named_presets(document):
        if name not in known:
            raise PlanError(f"{path}: {where}: {name!r} is not a preset; the presets are {', '.join(known)}")


def named_presets(document: Any) -> list[tuple[str, str]]:
    """The presets a thresholds document sets limits for, each with where: ``presets.NAME`` and
    ``targets.TARGET.presets.NAME``."""
    if not isinstance(document, dict):
        return []
    layers = [("", document)]
    targets = document.get("targets")
    if isinstance(targets, dict):
        layers += [(f"targets.{name}.", body) for name, body in targets.items() if isinstance(body, dict)]
    found = []
    for prefix, layer in layers:
        presets = layer.get("presets")
        if isinstance(presets, dict):
            found += [(f"{prefix}presets.{name}", name) for name in presets]
    return found


def _flag(value: bool) -> str:
    return "true" if value else "false"
