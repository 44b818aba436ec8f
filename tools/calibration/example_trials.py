"""Trials of a pull request's check on the example API (``python -m tools example-trials``).

The example API repository (examples/api-repository: Django, DRF and SimpleJWT on PostgreSQL, served by
gunicorn) becomes a git repository of two commits: the example as it is, and a commit whose library
list view adds an N+1 query (:data:`N_PLUS_ONE`). Each trial is one pull request's check as the action
runs it with ``compare-base``: the base and the head, each a git worktree of their own, ``bin/setup``
and ``gunicorn`` in both, on fresh databases (``amal_api_base``, ``amal_api_head``, dropped before
every trial, as on a fresh runner), both loaded in one run of the preset and judged head against base
(``loadtest run --dir HEAD --base-dir BASE``, the repository's thresholds.json). In an A/A trial the
head is the base's commit; in an N+1 trial it is the N+1 commit. The two kinds alternate, so a slow
phase of the machine hits both alike.

A false alarm is an A/A trial whose check fails; a detection is an N+1 trial whose check fails with a
finding on :data:`N_PLUS_ONE_ENDPOINT`. A trial that ends without a verdict (exit 3) is counted apart.
Each trial's wall time (setup, start, load, gate: what a pull request waits for) is recorded, and after
every trial the processes the check started are counted: none may be left.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from loadtest import bundle
from loadtest.bundle import AGGREGATE
from loadtest.gate.paired import Method, judge_against_base
from loadtest.gate.thresholds import DEFAULT_THRESHOLDS, load_thresholds
from loadtest.run.plan import ROOT
from tools.calibration.report import count_cell
from tools.postgres import PostgresCluster

EXAMPLE = ROOT / "examples" / "api-repository"
N_PLUS_ONE = (
    "        items = library_items()\n        category",
    "        items = LibraryItem.objects.all()\n        category",
)
"""The N+1 commit: the library's list view drops library_items()' select_related("category"), so each
of the page's 50 items reads its category in a query of its own."""
N_PLUS_ONE_FILE = "api/views.py"
N_PLUS_ONE_ENDPOINT = "GET /api/ai-assistant/library/"
"""The view the N+1 commit slows: a detection is a failing finding on it."""
SIDES = ("base", "head")
SETUP = "bin/setup"
START = "gunicorn amal_api.wsgi"
TRIAL_TIMEOUT_S = 600
"""Only a hang reaches it: a check took about 70 s on a 2-core machine."""
KINDS = ("aa", "n-plus-one")


@dataclass(frozen=True, kw_only=True)
class TrialSettings:
    trials: int = 20
    """A/A trials, and N+1 trials."""
    preset: str = "smoke"
    seed: int = 1
    out: Path = ROOT / "results" / "example-trials"
    thresholds: Path = DEFAULT_THRESHOLDS


@dataclass(frozen=True)
class TrialResult:
    name: str
    kind: str
    exit_code: int
    wall_s: float
    verdict: str | None
    failing: tuple[str, ...]
    """The scopes (endpoint, Aggregated, run) of the check's failing findings."""
    headline: str
    left_running: int
    load_average: float | None = None
    """The machine's 1-minute load average when the check ended."""
    dispersion: float | None = None
    """The mean squared z-score of the endpoints' head-over-base ratios, the N+1's view left out: about
    1 when the two servers differ only by the requests' sampling noise, more when they differ per
    endpoint by more than that (what the paired verdict's interval does not count)."""

    @property
    def failed(self) -> bool:
        return self.verdict == "fail"

    @property
    def named(self) -> bool:
        return any(scope == N_PLUS_ONE_ENDPOINT for scope in self.failing)

    @property
    def no_result(self) -> bool:
        return self.verdict is None


def make_repository(folder: Path) -> dict[str, Path]:
    """The example as a git repository of two commits, and a worktree per checkout a trial needs:
    ``base`` and ``head-aa`` at the first commit, ``head-n-plus-one`` at the N+1 commit."""
    shutil.rmtree(folder, ignore_errors=True)
    repository = folder / "repository"
    shutil.copytree(EXAMPLE, repository, ignore=shutil.ignore_patterns("__pycache__", ".venv"))
    _git(repository, "init", "-q", "-b", "main")
    base = _commit(repository, "The example API")
    views = repository / N_PLUS_ONE_FILE
    text = views.read_text(encoding="utf-8")
    if N_PLUS_ONE[0] not in text:
        raise RuntimeError(f"{N_PLUS_ONE_FILE}: the library view no longer reads {N_PLUS_ONE[0]!r}")
    views.write_text(text.replace(N_PLUS_ONE[0], N_PLUS_ONE[1]), encoding="utf-8")
    n_plus_one = _commit(repository, "Library: one query per item's category (N+1)")
    checkouts = {"base": base, "head-aa": base, "head-n-plus-one": n_plus_one}
    for name, commit in checkouts.items():
        _git(repository, "worktree", "add", "-q", "--detach", str(folder / name), commit)
    return {name: folder / name for name in checkouts}


def _commit(repository: Path, message: str) -> str:
    _git(repository, "add", "-A")
    _git(
        repository,
        "-c",
        "user.name=trials",
        "-c",
        "user.email=trials@localhost",
        "commit",
        "-q",
        "-m",
        message,
    )
    return _git(repository, "rev-parse", "HEAD")


def _git(repository: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repository, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


def run_trials(settings: TrialSettings, progress: Callable[[str], None] = print) -> list[TrialResult]:
    """Every trial, A/A and N+1 alternating, against one PostgreSQL server started for them."""
    checkouts = make_repository(settings.out / "checkouts")
    results: list[TrialResult] = []
    with PostgresCluster.started() as cluster:
        env = _environ(cluster)
        for index in range(settings.trials):
            for kind in KINDS:
                name = f"{kind}-{index:03d}"
                for side in SIDES:
                    cluster.drop_database(f"amal_api_{side}")
                result = run_trial(settings, name, kind, checkouts, env, seed=settings.seed + index)
                results.append(result)
                progress(f"example-trials: {len(results)}/{2 * settings.trials} {_line(result)}")
    return results


def _environ(cluster: PostgresCluster) -> dict[str, str]:
    """This environment, pointed at the trials' PostgreSQL; no PGDATABASE, so each side's name comes
    from LOADTEST_SIDE (amal_api_base, amal_api_head), as in the example's workflow."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_") and k != "ACT"}
    env |= cluster.environ("")
    env.pop("PGDATABASE")
    # gunicorn and the example's python are this interpreter's (its environment holds the example's
    # requirements: requirements-dev.txt installs them).
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


TRIAL_FACTS = "example-trial.json"
"""What one trial was and how its check ended (kind, exit code, wall time, processes left), beside its
bundle, so that ``--judge-only`` can judge the bundles again."""


def run_trial(
    settings: TrialSettings,
    name: str,
    kind: str,
    checkouts: Mapping[str, Path],
    env: dict[str, str],
    *,
    seed: int,
) -> TrialResult:
    out = settings.out / "runs" / name
    shutil.rmtree(out, ignore_errors=True)
    head = checkouts["head-aa" if kind == "aa" else "head-n-plus-one"]
    command = [
        sys.executable, "-m", "loadtest", "run", "--preset", settings.preset,
        "--dir", str(head), "--base-dir", str(checkouts["base"]),
        "--setup", SETUP, "--start", START,
        "--seed", str(seed), "--thresholds", str(settings.thresholds), "--out", str(out),
    ]  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=TRIAL_TIMEOUT_S)
    facts = {
        "kind": kind,
        "exit_code": done.returncode,
        "wall_s": time.monotonic() - started,
        "left_running": len(processes_in(settings.out / "checkouts")),
        "load_average_1m": os.getloadavg()[0],
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "trial-output.txt").write_text(done.stdout + done.stderr, encoding="utf-8")
    (out / TRIAL_FACTS).write_text(json.dumps(facts, indent=1) + "\n", encoding="utf-8")
    return result_of(out)


def result_of(out: Path) -> TrialResult:
    """A trial's result from its folder: its facts and the check's verdict.json."""
    facts = json.loads((out / TRIAL_FACTS).read_text(encoding="utf-8"))
    verdict = _read_verdict(out)
    return TrialResult(
        name=out.name,
        kind=facts["kind"],
        exit_code=facts["exit_code"],
        wall_s=facts["wall_s"],
        verdict=verdict.get("verdict"),
        failing=tuple(f["scope"] for f in verdict.get("findings", []) if f.get("level") == "fail"),
        headline=verdict.get("headline", ""),
        left_running=facts["left_running"],
        load_average=facts.get("load_average_1m"),
        dispersion=dispersion(out),
    )


def dispersion(out: Path) -> float | None:
    try:
        results = bundle.read_results(out)
    except bundle.BundleError:
        return None
    rule = load_thresholds().rules_for(preset="smoke", target="started").regression.base
    if rule is None:
        return None
    # The requests' sampling noise alone, whatever thresholds.json decides: the diagnostic of the spread.
    plain = Method(common_mode=False, server_spread=False)
    changes = judge_against_base(results, rule, method=plain).changes
    scores = [
        c.score() ** 2 for c in changes if c.row not in (AGGREGATE, N_PLUS_ONE_ENDPOINT) and c.variance > 0
    ]
    return statistics.fmean(scores) if scores else None


def judge_again(settings: TrialSettings, progress: Callable[[str], None] = print) -> list[TrialResult]:
    """The trials already in ``out``, each bundle judged again by this checkout's gate (loadtest compare)."""
    folders = sorted(path.parent for path in (settings.out / "runs").glob(f"*/{TRIAL_FACTS}"))
    for folder in folders:
        subprocess.run(
            [sys.executable, "-m", "loadtest", "compare", str(folder),
             "--thresholds", str(settings.thresholds),
             "--json", str(folder / bundle.VERDICT_JSON), "--summary", str(folder / bundle.SUMMARY_MD)],
            cwd=ROOT, capture_output=True, text=True, timeout=TRIAL_TIMEOUT_S,
        )  # fmt: skip
    results = [result_of(folder) for folder in folders]
    progress(f"example-trials: judged {len(results)} trials again")
    return results


def _read_verdict(out: Path) -> dict[str, Any]:
    try:
        verdict = bundle.read_json(out / bundle.VERDICT_JSON)
    except bundle.BundleError:
        return {}  # the check ended before its verdict (exit 3)
    return verdict if isinstance(verdict, dict) else {}


def processes_in(folder: Path) -> list[psutil.Process]:
    """Processes whose working folder is under ``folder`` (a server a check started and left)."""
    found = []
    for process in psutil.process_iter(["cwd"]):
        cwd = process.info.get("cwd")
        if cwd and Path(cwd).is_relative_to(folder):
            found.append(process)
    return found


def _line(result: TrialResult) -> str:
    spread = f"dispersion {result.dispersion:.2f}, " if result.dispersion is not None else ""
    # The headline is the verdict's (judged again with --judge-only); the exit code, the check's.
    return (
        f"{result.name}: {result.wall_s:.0f} s, {spread}"
        f"{result.headline or f'no verdict (exit {result.exit_code})'}"
    )


def render(settings: TrialSettings, results: Sequence[TrialResult]) -> str:
    aa = [r for r in results if r.kind == "aa"]
    slow = [r for r in results if r.kind == "n-plus-one"]
    walls = [r.wall_s for r in results]
    lines = [
        f"Trials of a pull request's check on the example API (PostgreSQL): preset {settings.preset}, "
        f"base and head loaded in one run, judged head against base with {settings.thresholds.name}; "
        f"seed {settings.seed}",
        "",
        "- false alarms (A/A, base and head the same commit): "
        f"{count_cell(sum(r.failed for r in aa), len(aa))}",
        f"- N+1 caught and {N_PLUS_ONE_ENDPOINT} named: {count_cell(sum(r.named for r in slow), len(slow))}"
        f" (failed at all: {sum(r.failed for r in slow)}/{len(slow)})",
        f"- no verdict (exit 3): {sum(r.no_result for r in results)}/{len(results)}",
        f"- wall time of one check (setup, start, load, gate): median {_median(walls):.1f} s, "
        f"min {min(walls, default=0):.1f} s, max {max(walls, default=0):.1f} s",
        f"- processes left running after a trial: {sum(r.left_running for r in results)}",
        f"- the machine's load average as a check ended: {_range([r.load_average for r in results])}",
        f"- dispersion (mean squared z of the endpoints' ratios; 1 = sampling noise only): A/A median "
        f"{_median([r.dispersion for r in aa if r.dispersion is not None]):.2f}, N+1 median "
        f"{_median([r.dispersion for r in slow if r.dispersion is not None]):.2f}",
        "",
        "Each trial:",
        *(f"  {_line(r)}" for r in results),
    ]
    return "\n".join(lines) + "\n"


def _range(values: Sequence[float | None]) -> str:
    known = [value for value in values if value is not None]
    if not known:
        return "not recorded"
    return f"{min(known):.1f}-{max(known):.1f} (median {_median(known):.1f})"


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0
