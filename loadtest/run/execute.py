"""run_plan: run a plan into its bundle, recording run.json (RunFacts) before and after Locust runs.

Starts the API from a checkout (loadtest.run.server) or the stand-in API when the plan has no host,
checks the target before any load (the preflight), runs Locust (loadtest.run.locust) and writes
run.json through RunFacts. A SIGINT or SIGTERM stops it all in order and is recorded
(loadtest.run.interrupt); so is a started API that ends before the run does.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from loadtest import bundle, config, contract
from loadtest.bundle import RUN_SCHEMA, RunFacts
from loadtest.exitcodes import ExitCode
from loadtest.run.interrupt import Interruption, interruptible
from loadtest.run.locust import LocustOutcome, run_locust
from loadtest.run.plan import RunError, RunPlan
from loadtest.run.target import BASE, Target, preflight, started_target, target_for
from loadtest.text import masking


def run_plan(plan: RunPlan, *, echo: bool = True) -> RunFacts:
    """Run ``plan`` into ``plan.out``: the target (started if needed), the preflight, Locust, run.json.

    ``echo`` shows Locust's output and the run's messages on the console (parallel calibration runs
    keep them in locust.log alone). RunError when the target fails its preflight, or INCOMPLETE when
    a signal came before Locust started; Interrupted on a second signal with nothing left to stop.
    """
    say = print if echo else _silent
    with interruptible() as interruption, _target(plan, interruption, say) as target:
        preflight(target, plan.settings, say=say)
        with _base_target(plan, target, interruption, say) as base:
            if base is not None:
                preflight(base, plan.settings, say=say)
                plan = replace(plan, base=replace(plan.base, host=base.url))
            if interruption.interrupted:
                raise RunError(
                    f"{interruption.signal} before the load started: nothing was run", ExitCode.INCOMPLETE
                )
            return run_into_bundle(plan, target, interruption, echo=echo, base=base)


def _target(
    plan: RunPlan, interruption: Interruption, say: Callable[[str], None]
) -> AbstractContextManager[Target]:
    """The plan's host, the API it starts from a checkout, or the stand-in API."""
    if plan.server and not plan.host:
        assert plan.out is not None, "a started API logs into the plan's bundle"
        stopping = lambda: interruption.interrupted  # noqa: E731
        return started_target(
            plan.server, plan.settings, log_path=plan.out / bundle.SERVER_LOG, stopping=stopping, say=say
        )
    stand_in = {"faults": plan.faults, "seed": plan.sandbox_seed, "say": say}
    own_session = {"new_session": interruption.active}
    return target_for(plan.host, plan.settings, plan.profile, **stand_in, **own_session)


@contextmanager
def _base_target(
    plan: RunPlan, head: Target, interruption: Interruption, say: Callable[[str], None]
) -> Iterator[Target | None]:
    """The base of a run of a base against a head: its host, or its API started from its own checkout
    (LOADTEST_SIDE=base, its own free port, server-base.log) with the head's API key; None without one."""
    if plan.base is None:
        yield None
        return
    if plan.base.server is None:
        yield Target(plan.base.host, "external", head.api_key)
        return
    assert plan.out is not None, "a started API logs into the plan's bundle"
    with started_target(
        plan.base.server,
        replace(plan.settings, api_key=head.api_key),
        log_path=plan.out / bundle.BASE_SERVER_LOG,
        stopping=lambda: interruption.interrupted,
        say=say,
        side=BASE,
    ) as target:
        yield target


def run_into_bundle(
    plan: RunPlan,
    target: Target,
    interruption: Interruption,
    *,
    echo: bool = True,
    base: Target | None = None,
) -> RunFacts:
    """Run Locust against a ready target (and a base's beside it); run.json is written before it
    starts and after it ends."""
    assert plan.out is not None, "a run into a bundle needs the plan's out folder"
    plan.out.mkdir(parents=True, exist_ok=True)
    facts = facts_at_start(plan, target)
    bundle.write_json(plan.out / bundle.RUN_FACTS, facts.to_json())
    outcome = run_locust(plan, target, interruption, echo=echo, base=base)
    for warning in outcome.lost_workers.warnings():
        print(warning, file=sys.stderr)
    facts = facts_at_end(facts, outcome, interruption)
    for side, prefix in ((target, ""), (base, "base_")):
        if side is not None and side.server is not None and side.server.exited:
            facts = replace(facts, **server_ending(side, outcome, prefix))
    bundle.write_json(plan.out / bundle.RUN_FACTS, facts.to_json())
    return facts


def facts_at_end(facts: RunFacts, outcome: LocustOutcome, interruption: Interruption) -> RunFacts:
    """run.json once Locust has ended: how, how long it ran, whether a signal or a stop condition ended it."""
    at, condition = outcome.stopped or (None, None)
    return replace(
        facts,
        ended_at=_utc_now(),
        exit_code=outcome.exit_code,
        duration_s=outcome.duration_s,
        interrupted=interruption.interrupted,
        signal=interruption.signal,
        stopped_by=condition,
        stopped_at_s=at,
        lost_workers=tuple(outcome.lost_workers.as_json()),
    )


def server_ending(target: Target, outcome: LocustOutcome, prefix: str = "") -> dict[str, object]:
    """run.json's record of a started API that ended before the run did (``prefix`` ``base_``: the
    base's)."""
    server = target.server
    assert server is not None and server.exited_at is not None
    return {
        f"{prefix}server_exit": server.describe_exit(),
        f"{prefix}server_exited_at_s": round(max(server.exited_at - outcome.started_at, 0.0), 1),
    }


def facts_at_start(plan: RunPlan, target: Target) -> RunFacts:
    """What run.json says while the run goes on: the plan, the target, the code and the start time."""
    wait_min, wait_max = plan.wait_s or (None, None)
    # "none", not null, on the stand-in: a null is a setting not recorded, which matches anything.
    profile = (str(plan.profile) if plan.profile else "none") if target.kind == "sandbox" else None
    return RunFacts(
        schema=RUN_SCHEMA,
        preset=plan.preset,
        users=plan.users,
        spawn_rate=plan.spawn_rate,
        run_time_s=plan.run_time_s,
        wait_min_s=wait_min,
        wait_max_s=wait_max,
        workers=plan.workers,
        host=config.redact_url(target.url),
        target=target.kind,
        profile=profile,
        git_commit=plan.settings.commit or git_commit(),
        **(started_facts(plan) if target.kind == "started" else {}),
        locust_version=version("locust"),
        started_at=_utc_now(),
        tags=plan.tags,
        exclude_tags=plan.exclude_tags,
        seed=plan.seed,
        endpoints=tuple(expected_endpoints(plan)),
        **base_facts(plan),
    )


def started_facts(plan: RunPlan) -> dict[str, str | None]:
    """What run.json says of the API started from a checkout: its commit and its command."""
    assert plan.server is not None
    return {
        "server_commit": plan.settings.commit or git_commit(plan.server.directory),
        "start_command": masking.Masker(plan.settings.secrets()).mask(plan.server.start),
    }


def base_facts(plan: RunPlan) -> dict[str, object]:
    """run.json's fields of a run of a base against a head: the design, the base's URL and commit."""
    if plan.base is None:
        return {}
    return {
        "design": plan.base.design,
        "block_s": plan.base.block_s if plan.base.design == "blocks" else None,
        "base_host": config.redact_url(plan.base.host),
        "base_git_commit": plan.base.commit,
    }


def expected_endpoints(plan: RunPlan) -> list[str]:
    """The endpoints the run is meant to exercise: the contract's, less those the tags leave out."""
    return [e.name for e in contract.API.selected(plan.tags, plan.exclude_tags)]


def check_measured(plan: RunPlan, facts: RunFacts) -> None:
    """RunError unless Locust accepted the run and at least one request succeeded."""
    assert plan.out is not None
    if facts.exit_code == ExitCode.USAGE:
        raise RunError("Locust refused the run: see its message above", ExitCode.USAGE)
    succeeded = successful_requests(plan.out)
    if not succeeded:
        why = "Locust wrote no statistics" if succeeded is None else "no request succeeded"
        if facts.server_exit:
            why += f": the API server ended ({facts.server_exit}), see {plan.out / bundle.SERVER_LOG}; and"
        if facts.base_server_exit:
            why += (
                f": the base's API server ended ({facts.base_server_exit}), "
                f"see {plan.out / bundle.BASE_SERVER_LOG}; and"
            )
        raise RunError(f"{why}: see {plan.out / bundle.LOCUST_LOG}", ExitCode.NOT_MEASURED)


def successful_requests(out: Path) -> int | None:
    """Requests that succeeded, read by the one bundle reader; None when Locust wrote no usable stats."""
    try:
        aggregate = bundle.read_results(out).aggregate
    except bundle.BundleError:
        return None
    return aggregate.requests - aggregate.failures


def git_commit(checkout: Path | None = None) -> str | None:
    """The commit of a checkout, the one the run starts in by default (callers put LOADTEST_COMMIT,
    which CI sets to the PR's head, first)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=checkout, capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _silent(_message: str) -> None:
    """Where the run's messages go when it does not echo."""
