"""``loadtest run``'s command line: its options, and the RunPlan they ask for (``plan_from_args``),
checked before anything starts. What the command then does is loadtest.cli.run's."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from loadtest import workers as workers_module
from loadtest.cli.console import add_presets_dir_option, command_parser
from loadtest.exitcodes import ExitCode
from loadtest.output_paths import OutPathError, check_out_file, check_out_folder
from loadtest.presets import PresetError, parse_duration
from loadtest.run import (
    Overrides,
    Profile,
    RunError,
    RunPlan,
    checked_host,
    plan_run,
)
from loadtest.run.execute import git_commit
from loadtest.run.plan import (
    CUSTOM,
    DEFAULT_READY_PATH,
    DEFAULT_READY_TIMEOUT_S,
    BaseSide,
    ServerCommands,
)
from loadtest.sandbox.profiles import PROFILES
from loadtest.settings import Settings
from loadtest.sides import DEFAULT_BLOCK_S, DESIGNS
from loadtest.user import safety

EXIT_CODES_HELP = """\
Exit codes:
  0  the run completed and the gate passed (warnings allowed), or the web UI was closed
  1  the gate failed: a threshold or a regression rule broke, or a stop condition ended the run early
  2  bad input: unknown preset, malformed host, missing credentials, a refused production run, an
     --out or --html that cannot be written, a malformed thresholds file
  3  nothing could be measured: target unreachable, the API key or the account refused (the
     preflight, before any load), Locust failed to start, or no request succeeded; with --start:
     the setup failed, or the API ended or did not answer before --ready-timeout
  4  incomplete: SIGINT (Ctrl-C) or SIGTERM stopped the run before its run time was over; run.json
     and the summary say so. A second signal stops at once.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "run_tests.py",
        "Load test the Amal Education API with Locust. With no host, runs against the "
        "stand-in API on loopback. With no option at all, opens Locust's web UI.",
        EXIT_CODES_HELP,
    )
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument("--preset", metavar="NAME", help="run a preset from loadtest/presets/ headless")
    add_presets_dir_option(parser, relative_to="here")
    for name in ("quick", "medium", "stress"):
        shape.add_argument(
            f"--{name}", dest="preset", action="store_const", const=name, help=f"= --preset {name}"
        )
    parser.add_argument("--headless", action="store_true", help="custom headless run set by -u, -r, -t")
    parser.add_argument("-u", "--users", type=int, help="peak users (overrides the preset)")
    parser.add_argument("-r", "--spawn-rate", type=float, help="users started per second")
    parser.add_argument(
        "-t", "--run-time", help="run time, e.g. 30s, 5m (overrides the preset and $LOADTEST_RUN_TIME)"
    )
    parser.add_argument("--html", type=Path, help="also write the HTML report to this file")
    parser.add_argument("--host", help="target base URL (default: $LOADTEST_HOST, else the stand-in API)")
    parser.add_argument(
        "--out", type=Path, help="bundle folder to write (default results/<preset>-<UTC time>)"
    )
    parser.add_argument("--workers", type=int, help="Locust worker processes on this machine")
    _add_server_options(parser)
    _add_distributed_options(parser)
    parser.add_argument("--tags", nargs="*", default=[], help="only tasks with these tags")
    parser.add_argument("--exclude-tags", nargs="*", default=[], help="skip tasks with these tags")
    parser.add_argument("--seed", type=int, help="seed for the fake data, for a reproducible run")
    parser.add_argument(
        "--profile", choices=PROFILES, help="the stand-in answers as slowly as production (realistic)"
    )
    parser.add_argument(
        "--profile-scale", type=float, default=1.0, metavar="X", help="the profile's times x X, e.g. 0.1"
    )
    _add_base_options(parser)
    parser.add_argument("--baseline", type=Path, help="bundle to compare with at the end")
    parser.add_argument("--thresholds", type=Path, help="thresholds file (default thresholds.json)")
    parser.add_argument("--no-gate", action="store_true", help="skip the verdict (CI runs compare.py next)")
    parser.add_argument(
        safety.ALLOW_FLAG, action="store_true", help="allow heavy presets and writes against production"
    )
    return parser


def _add_base_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "a base against a head",
        "Load a base beside the head (--host) in the same run, with the same users and seed, and judge "
        "the head against it (docs/gate.md: the paired verdict).",
    )
    group.add_argument("--base-host", help="the base's URL (loopback, as the head's)")
    group.add_argument("--design", choices=DESIGNS, default="paired", help="how they share the run")
    group.add_argument(
        "--block-s", type=float, default=DEFAULT_BLOCK_S, help="block length of --design blocks"
    )
    group.add_argument("--base-commit", help="the base's commit, for run.json and the verdict")
    group.add_argument(
        "--base-dir", default="", metavar="DIR", help="the base's checkout, started as --start starts --dir"
    )


def _base_side(
    args: argparse.Namespace, host: str | None, server: ServerCommands | None, settings: Settings
) -> BaseSide | None:
    """The base of the run, or None; RunError(USAGE) when it lacks a head or is malformed.

    ``--base-host URL`` beside a head ``--host``; ``--base-dir DIR`` beside a head started with
    ``--start``: the same commands (setup, start) run in the base's checkout, LOADTEST_SIDE=base."""
    # Empty values are none: the action passes every option, set or not.
    if not args.base_host and not args.base_dir.strip():
        return None
    if not 1 <= args.block_s <= 600:
        raise RunError(f"--block-s must be from 1 to 600 seconds, got {args.block_s:g}", ExitCode.USAGE)
    options = {"design": args.design, "block_s": args.block_s, "commit": args.base_commit or None}
    if args.base_dir.strip():
        if server is None or args.base_host:
            raise RunError(
                "--base-dir starts the base as --start starts the head: give --start, not --base-host",
                ExitCode.USAGE,
            )
        directory = Path(args.base_dir).absolute()
        if not directory.is_dir():
            raise RunError(f"--base-dir {directory}: no such folder", ExitCode.USAGE)
        commit = args.base_commit or git_commit(directory)
        return BaseSide(host="", server=replace(server, directory=directory), **{**options, "commit": commit})
    if not host:
        raise RunError("--base-host needs the head as --host (or LOADTEST_HOST)", ExitCode.USAGE)
    return BaseSide(host=checked_host(args.base_host, settings), **options)


def _add_server_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "the API started from a checkout",
        "Load the API built from a checkout (a pull request's) on this machine instead of a host: the "
        "runner picks a free loopback port, runs --start with PORT and LOADTEST_SIDE=head in its "
        "environment, waits until --ready-path answers, and stops the server (its whole process group) "
        "when the run ends. Its output goes to server.log in the bundle, secrets masked.",
    )
    group.add_argument(
        "--start", metavar="CMD", default="", help="shell command serving the API on 127.0.0.1:$PORT"
    )
    group.add_argument(
        "--setup", metavar="CMD", default="", help="shell command run once before the server starts"
    )
    group.add_argument(
        "--dir", type=Path, metavar="DIR", help="the checkout both commands run in (default: here)"
    )
    group.add_argument(
        "--ready-path",
        metavar="PATH",
        default=DEFAULT_READY_PATH,
        help=f"the server is ready when this answers below 500 (default {DEFAULT_READY_PATH})",
    )
    group.add_argument(
        "--ready-timeout",
        type=float,
        metavar="SECONDS",
        default=DEFAULT_READY_TIMEOUT_S,
        help=f"give up (exit 3) if it is not ready by then (default {DEFAULT_READY_TIMEOUT_S:g})",
    )


def _add_distributed_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "several machines",
        "The master runs the preset and writes the bundle; each other machine runs "
        "'run_tests.py --worker --master-host MASTER' and exits when the master quits.",
    )
    group.add_argument("--expect-workers", type=int, metavar="N", help="be the master of N remote workers")
    group.add_argument(
        "--expect-workers-max-wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="give up (exit 3) if the workers have not all connected by then (default 60)",
    )
    group.add_argument(
        "--master-bind-host",
        default="127.0.0.1",
        help="address the master listens on for workers (default 127.0.0.1; 0.0.0.0 for other machines)",
    )
    group.add_argument("--master-bind-port", type=int, default=workers_module.DEFAULT_MASTER_PORT)
    group.add_argument("--worker", action="store_true", help="run a worker only: no bundle, no preset")
    group.add_argument("--master-host", help="the master's host name or address (with --worker)")
    group.add_argument("--master-port", type=int, default=workers_module.DEFAULT_MASTER_PORT)


def plan_from_args(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> RunPlan:
    """Turn command-line arguments into a RunPlan, or raise RunError(USAGE) saying what is wrong."""
    settings = Settings.from_environ(environ)
    if args.presets_dir is not None:
        settings = replace(settings, presets_dir=args.presets_dir)
    # LOADTEST_RUN_TIME shortens every run, e.g. for a local rehearsal of the workflows.
    run_time_text = args.run_time or settings.run_time
    try:
        overrides = Overrides(
            users=args.users,
            spawn_rate=args.spawn_rate,
            run_time_s=parse_duration(run_time_text) if run_time_text else None,
            workers=_worker_count(args),
        )
        host = args.host or settings.host or None
        server = server_commands(args, host)
        options = {"out": args.out} if args.out else {}
        if args.html:
            check_out_file(args.html, "--html")
        plan = plan_run(
            args.preset,
            overrides,
            host=checked_host(host, settings) if host else None,
            expect_workers=args.expect_workers or 0,
            expect_workers_max_wait_s=args.expect_workers_max_wait,
            master_bind_host=args.master_bind_host,
            master_bind_port=args.master_bind_port,
            server=server,
            profile=_profile(args, host or server),
            tags=tuple(args.tags),
            exclude_tags=tuple(args.exclude_tags),
            seed=args.seed,
            allow_production_load=args.allow_production_load,
            settings=settings,
            stop=_stop_conditions(args, _target_kind(host, server)),
            base=_base_side(args, host, server, settings),
            **options,
        )
        if plan.out:
            check_out_folder(plan.out, "--out")
    except (PresetError, OutPathError) as exc:
        raise RunError(str(exc), ExitCode.USAGE) from exc
    return plan


def server_commands(args: argparse.Namespace, host: str | None) -> ServerCommands | None:
    """The API to start from a checkout (--start and its options), or None; RunError(USAGE) if they
    are inconsistent."""
    if not args.start.strip():
        if args.setup.strip():
            raise RunError("--setup prepares the API that --start starts: give --start too", ExitCode.USAGE)
        return None
    if host:
        raise RunError(
            "--start starts the API on this machine and --host/LOADTEST_HOST names one elsewhere: "
            "give one of them",
            ExitCode.USAGE,
        )
    directory = (args.dir or Path()).absolute()
    if not directory.is_dir():
        raise RunError(f"--dir {directory}: no such folder", ExitCode.USAGE)
    if not args.ready_path.startswith("/"):
        raise RunError(f"--ready-path must start with /, got {args.ready_path!r}", ExitCode.USAGE)
    if not 0 < args.ready_timeout <= 3600:
        raise RunError(
            f"--ready-timeout must be above 0 and at most 3600 s, got {args.ready_timeout:g}", ExitCode.USAGE
        )
    return ServerCommands(
        start=args.start,
        setup=args.setup.strip(),
        directory=directory,
        ready_path=args.ready_path,
        ready_timeout_s=args.ready_timeout,
    )


def _target_kind(host: str | None, server: ServerCommands | None) -> str:
    """run.json's ``target`` the run will record (loadtest.run.target)."""
    if host:
        return "external"
    return "started" if server else "sandbox"


def _stop_conditions(args: argparse.Namespace, target: str) -> dict[str, float]:
    """thresholds.json's ``stop`` section for this preset and target, read before any load is sent."""
    from loadtest import gate as gate_module
    from loadtest.gate.thresholds import load_thresholds

    try:
        thresholds = load_thresholds(args.thresholds or gate_module.DEFAULT_THRESHOLDS)
    except gate_module.GateInputError as exc:
        raise RunError(f"gate: {exc}", ExitCode.USAGE) from exc
    rules = thresholds.rules_for(preset=args.preset or CUSTOM, target=target)
    return dict(rules.stop)


def _profile(args: argparse.Namespace, target: object) -> Profile | None:
    """The stand-in's latency profile; ``target``: the host or the started API, if the run has one."""
    if not args.profile:
        return None
    if target:
        raise RunError(
            "--profile slows the stand-in API: it cannot apply to --host/LOADTEST_HOST or --start",
            ExitCode.USAGE,
        )
    if not 0 < args.profile_scale <= 100:
        raise RunError(
            f"--profile-scale must be above 0 and at most 100, got {args.profile_scale:g}", ExitCode.USAGE
        )
    return Profile(args.profile, args.profile_scale)


def _worker_count(args: argparse.Namespace) -> int | None:
    """Local processes (--workers; None: the preset's ``processes``) or the remote workers expected."""
    if args.expect_workers is None:
        workers = args.workers
    elif args.workers:
        raise RunError(
            "--workers and --expect-workers exclude each other: local or remote workers", ExitCode.USAGE
        )
    else:
        workers = args.expect_workers
    if workers is not None and workers < 1:
        raise RunError(f"the worker count must be 1 or more, got {workers}", ExitCode.USAGE)
    return workers
