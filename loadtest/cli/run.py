"""``loadtest run`` (scripts/run_tests.py): plan a run, run it into a bundle, give the gate's verdict.

``--start`` starts the API under test from a checkout on the runner; with no host and no ``--start``
the stand-in API is started for the run; with no option at all, Locust's web UI opens. ``--worker``
makes this machine a worker of a master elsewhere. The options and the plan they ask for are
loadtest.cli.run_options'.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from loadtest import bundle
from loadtest import workers as workers_module
from loadtest.cli.console import fail
from loadtest.cli.run_options import build_parser, plan_from_args
from loadtest.exitcodes import ExitCode
from loadtest.run import RunError, RunPlan, check_measured, checked_host, run_plan
from loadtest.run.execute import successful_requests
from loadtest.run.interrupt import Interrupted
from loadtest.run.locust import call_locust, locust_environ, web_ui_command
from loadtest.run.plan import LOCUSTFILE
from loadtest.run.target import preflight, target_for
from loadtest.settings import Settings


def execute(plan: RunPlan, args: argparse.Namespace) -> int:
    """Run the plan, keep the HTML copy, check something was measured, run the gate.

    An interrupted run is judged when Locust wrote its statistics (the verdict is ``incomplete``),
    and is INCOMPLETE either way."""
    facts = run_plan(plan)
    assert plan.out is not None
    if args.html and (plan.out / bundle.HTML_REPORT).is_file():
        shutil.copyfile(plan.out / bundle.HTML_REPORT, args.html)
    if facts.interrupted:
        print(f"run_tests: interrupted by {facts.signal} after {facts.duration_s:g} s", file=sys.stderr)
        if successful_requests(plan.out) is None:
            raise RunError(
                f"{facts.signal}: Locust wrote no statistics, so there is no summary", ExitCode.INCOMPLETE
            )
    else:
        check_measured(plan, facts)
    print(f"\nrun_tests: results bundle: {plan.out}")
    if args.no_gate:
        return ExitCode.INCOMPLETE if facts.interrupted else ExitCode.OK
    return gate(plan.out, args)


def gate(out: Path, args: argparse.Namespace) -> int:
    """The same verdict compare gives, printed at the end of the run and saved in the bundle with its
    trend page."""
    from loadtest import gate as gate_module
    from loadtest.gate.outputs import write_gate_files
    from loadtest.trend import page_for_report, write_trend_page

    options = {"baseline": args.baseline}
    if args.thresholds:
        options["thresholds_path"] = args.thresholds
    try:
        report = gate_module.run_gate(out, **options)
    except gate_module.GateInputError as exc:
        raise RunError(f"gate: {exc}", ExitCode.USAGE) from exc
    write_gate_files(report, summary=out / bundle.SUMMARY_MD, verdict=out / bundle.VERDICT_JSON)
    write_trend_page(out / bundle.TREND_PAGE, page_for_report(report, baseline=args.baseline))
    print(gate_module.render_console(report))
    return report.exit_code


def web_ui(host: str | None, settings: Settings) -> int:
    """Locust's web UI on loopback, against the given host or the stand-in API."""
    with target_for(host, settings) as target:
        preflight(target, settings)
        return call_locust(web_ui_command(target.url), locust_environ(target.api_key))


def run_worker(args: argparse.Namespace) -> int:
    """A Locust worker for a master on another machine: no bundle here; it exits when the master quits."""
    if args.preset or args.headless or args.expect_workers:
        raise RunError(
            "--worker takes its load shape from the master: give --preset/-u/-t there", ExitCode.USAGE
        )
    if not args.master_host:
        raise RunError(
            "--worker needs --master-host, the address of the machine running the master", ExitCode.USAGE
        )
    try:
        master_host = workers_module.check_master_host(args.master_host)
    except ValueError as exc:
        raise RunError(str(exc), ExitCode.USAGE) from exc
    cmd = workers_module.worker_command(
        master_host=master_host,
        master_port=args.master_port,
        locustfile=str(LOCUSTFILE),
        processes=args.workers or 1,
        seed=args.seed,
    )
    print(f"run_tests: worker of the master at {master_host}:{args.master_port}; exits when the master quits")
    return call_locust(cmd, {**os.environ, "PYTHONUNBUFFERED": "1"})


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.worker:
            return run_worker(args)
        if not args.preset and not args.headless:
            if args.start.strip():
                raise RunError("--start needs a headless run: give --preset or --headless", ExitCode.USAGE)
            settings = Settings.from_environ()
            host = args.host or settings.host or None
            return web_ui(checked_host(host, settings) if host else None, settings)
        return execute(plan_from_args(args), args)
    except RunError as exc:
        return fail(f"run_tests: error: {exc}", exc.exit_code)
    except Interrupted as exc:
        return fail(f"run_tests: {exc}: stopped at once", ExitCode.INCOMPLETE)
    except KeyboardInterrupt:  # Ctrl-C outside a run (the gate, the web UI's preflight): nothing to stop
        return fail("run_tests: interrupted", ExitCode.INCOMPLETE)
