"""The runner behind scripts/run_tests.py: plan a run, start the target, run Locust, write the bundle.

Exit codes (also in ``--help``):
    0  the run completed and the gate passed (warnings allowed), or the web UI was closed
    1  the gate failed: a threshold or a regression rule broke
    2  bad input: unknown preset, malformed host, missing credentials, a refused production run
    3  nothing could be measured: target unreachable, the API key or the account refused (the
       preflight, before any load), Locust failed to start, or no request succeeded
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from loadtest import bundle, config, contract, safety
from loadtest import workers as workers_module
from loadtest.preflight import PreflightFailed, check_target
from loadtest.presets import PresetError, load_preset, parse_duration
from loadtest.sandbox.profiles import PROFILES
from loadtest.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = ROOT / "locustfile.py"
EXIT_OK, EXIT_GATE_FAILED, EXIT_USAGE, EXIT_NOTHING_MEASURED = 0, 1, 2, 3
SHUTDOWN_GRACE_S = 60.0
"""How long past its run time a Locust process may take to stop before it is killed."""


class RunError(Exception):
    """A run cannot start or measured nothing; ``exit_code`` says which (2 or 3)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True, kw_only=True)
class RunPlan:
    """Everything one headless run needs, decided before any traffic is sent."""

    preset: str
    """A preset name, or ``custom`` for a run set by -u/-r/-t alone."""
    config_file: Path | None
    users: int
    spawn_rate: float
    run_time_s: float
    wait_s: tuple[float, float]
    """Shortest and longest wait between a user's tasks (the preset's wait-min/wait-max)."""
    host: str | None
    """None: start the stand-in API and run against it."""
    out: Path
    workers: int = 1
    """Locust worker processes: local ones (--processes), or remote ones the master waits for."""
    expect_workers: int = 0
    """Above 0: this machine is the master of that many workers started elsewhere (--worker)."""
    expect_workers_max_wait_s: float = 60.0
    master_bind_host: str = "127.0.0.1"
    master_bind_port: int = workers_module.DEFAULT_MASTER_PORT
    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    seed: int | None = None
    allow_production_load: bool = False
    profile: Profile | None = None
    """The stand-in's latency profile (only without a host)."""
    html_copy: Path | None = None
    baseline: Path | None = None
    thresholds: Path | None = None
    gate: bool = True
    settings: Settings = field(default_factory=Settings, repr=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_tests.py",
        description="Load test the Amal Education API with Locust. With no host, runs against the "
        "stand-in API on loopback. With no option at all, opens Locust's web UI.",
        epilog=__doc__.split("\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument("--preset", metavar="NAME", help="run a preset from loadtest/presets/ headless")
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
    parser.add_argument("--baseline", type=Path, help="bundle to compare with at the end")
    parser.add_argument("--thresholds", type=Path, help="thresholds file (default thresholds.json)")
    parser.add_argument("--no-gate", action="store_true", help="skip the verdict (CI runs compare.py next)")
    parser.add_argument(
        safety.ALLOW_FLAG, action="store_true", help="allow heavy presets and writes against production"
    )
    return parser


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


def plan_from_args(args: argparse.Namespace, environ: dict[str, str] | os._Environ = os.environ) -> RunPlan:
    """Turn command-line arguments into a RunPlan, or raise RunError(exit 2) saying what is wrong."""
    try:
        preset = load_preset(args.preset) if args.preset else None
        # LOADTEST_RUN_TIME shortens every run, e.g. for a local rehearsal of the workflows.
        settings = Settings.from_environ(environ)
        run_time_text = args.run_time or settings.run_time
        run_time = parse_duration(run_time_text) if run_time_text else None
    except PresetError as exc:
        raise RunError(str(exc), EXIT_USAGE) from exc
    if preset is None and not (args.users and run_time):
        raise RunError(
            "a custom headless run needs -u USERS and -t RUN_TIME (or use --preset NAME)", EXIT_USAGE
        )
    host = args.host or settings.host or None
    if host:
        host = _checked_host(host, settings)
    name = preset.name if preset else "custom"
    plan = RunPlan(
        preset=name,
        config_file=preset.path if preset else None,
        users=args.users or (preset.users if preset else 1),
        spawn_rate=args.spawn_rate or (preset.spawn_rate if preset else float(args.users)),
        run_time_s=run_time or (preset.run_time_s if preset else 0),
        wait_s=preset.wait_s if preset else config.DEFAULT_WAIT_S,
        host=host,
        out=args.out or ROOT / "results" / f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}",
        workers=_worker_count(args, preset.processes if preset else 1),
        expect_workers=args.expect_workers or 0,
        expect_workers_max_wait_s=args.expect_workers_max_wait,
        master_bind_host=args.master_bind_host,
        master_bind_port=args.master_bind_port,
        profile=_profile(args, host),
        tags=tuple(args.tags),
        exclude_tags=tuple(args.exclude_tags),
        seed=args.seed,
        allow_production_load=args.allow_production_load,
        html_copy=args.html,
        baseline=args.baseline,
        thresholds=args.thresholds,
        gate=not args.no_gate,
        settings=settings,
    )
    _refuse_unsafe(plan, preset.peak_users if preset else plan.users)
    if plan.out.exists() and any(plan.out.iterdir()):
        raise RunError(
            f"--out {plan.out} is not empty: choose a new folder so no earlier results are lost", 2
        )
    return plan


def _profile(args: argparse.Namespace, host: str | None) -> Profile | None:
    if not args.profile:
        return None
    if host:
        raise RunError(
            "--profile slows the stand-in API: it cannot apply to --host/LOADTEST_HOST", EXIT_USAGE
        )
    if not 0 < args.profile_scale <= 100:
        raise RunError(
            f"--profile-scale must be above 0 and at most 100, got {args.profile_scale:g}", EXIT_USAGE
        )
    return Profile(args.profile, args.profile_scale)


def _worker_count(args: argparse.Namespace, preset_processes: int) -> int:
    """Local processes (--workers, else the preset's ``processes``) or the remote workers expected."""
    if args.expect_workers is None:
        workers = args.workers or preset_processes
    elif args.workers:
        raise RunError(
            "--workers and --expect-workers exclude each other: local or remote workers", EXIT_USAGE
        )
    else:
        workers = args.expect_workers
    if workers < 1:
        raise RunError(f"the worker count must be 1 or more, got {workers}", EXIT_USAGE)
    return workers


def _checked_host(host: str, settings: Settings) -> str:
    try:
        host = config.validate_host(host)
    except config.ConfigError as exc:
        raise RunError(str(exc), EXIT_USAGE) from exc
    if "@" in host.split("//", 1)[1].split("/", 1)[0]:
        raise RunError("put credentials in LOADTEST_EMAIL/LOADTEST_PASSWORD, not in the host URL", EXIT_USAGE)
    if not config.is_loopback(host) and not settings.has_credentials:
        raise RunError(
            f"host {host} needs credentials: set LOADTEST_EMAIL and LOADTEST_PASSWORD (or LOADTEST_TOKEN); "
            "only a loopback host lets the load test sign up its own users",
            EXIT_USAGE,
        )
    return host


def _refuse_unsafe(plan: RunPlan, peak_users: int) -> None:
    """Refuse heavy runs against production here; Locust itself refuses write tasks there
    (loadtest/user.py), before its first request, because only it knows the tasks' tags."""
    if plan.host is None:
        return
    heavy, reason = safety.heavy_run(peak_users, plan.run_time_s, plan.wait_s)
    refusal = safety.production_refusal(
        plan.host,
        plan.settings,
        heavy=heavy,
        heavy_reason=reason,
        writes=False,
        allowed=plan.allow_production_load,
    )
    if refusal:
        raise RunError(refusal, EXIT_USAGE)


def preflight(target: Target, settings: Settings) -> None:
    """Fail fast, before any load: the target answers, a user signs in and reads (loadtest.preflight)."""
    try:
        checked = check_target(target.url, settings, api_key=target.api_key)
    except PreflightFailed as exc:
        raise RunError(str(exc), EXIT_NOTHING_MEASURED) from None
    print(f"run_tests: preflight: {checked.how} and read the dashboard")


def locust_command(plan: RunPlan, host: str) -> list[str]:
    prefix = str(bundle.csv_prefix(plan.out))
    cmd = [sys.executable, "-m", "locust"]
    cmd += ["--config", str(plan.config_file)] if plan.config_file else ["-f", str(LOCUSTFILE)]
    cmd += ["--headless", "--host", host, "-u", str(plan.users), "-r", f"{plan.spawn_rate:g}"]
    cmd += ["-t", f"{int(plan.run_time_s)}s", "--csv", prefix, "--json-file", prefix]
    # The plan's waits are what run.json records, so Locust gets them explicitly, not from the preset.
    cmd += ["--wait-min", f"{plan.wait_s[0]:g}", "--wait-max", f"{plan.wait_s[1]:g}"]
    cmd += ["--html", str(plan.out / bundle.HTML_REPORT), "--only-summary"]
    if plan.expect_workers:
        cmd += ["--master", "--expect-workers", str(plan.expect_workers)]
        cmd += ["--expect-workers-max-wait", f"{plan.expect_workers_max_wait_s:g}"]
        cmd += ["--master-bind-host", plan.master_bind_host, "--master-bind-port", str(plan.master_bind_port)]
    if plan.workers > 1 and not plan.expect_workers:
        cmd += ["--processes", str(plan.workers)]
    elif plan.config_file:
        # A preset may say ``processes = N``; the plan has the last word (and --master forbids it).
        cmd += ["--processes", "0"]
    if plan.tags:
        cmd += ["--tags", *plan.tags]
    if plan.exclude_tags:
        cmd += ["--exclude-tags", *plan.exclude_tags]
    if plan.seed is not None:
        cmd += ["--seed", str(plan.seed)]
    if plan.allow_production_load:
        cmd += [safety.ALLOW_FLAG]
    return cmd


@dataclass(frozen=True)
class Profile:
    """A latency profile of the stand-in API (loadtest.sandbox.profiles) and its time scale."""

    name: str
    scale: float = 1.0

    def __str__(self) -> str:
        return self.name if self.scale == 1 else f"{self.name} x{self.scale:g}"


@dataclass(frozen=True)
class Target:
    """Where the load goes: a host of the user's, or the stand-in API started for the run."""

    url: str
    kind: str
    """``external`` or ``sandbox``."""
    api_key: str = field(repr=False)


@contextmanager
def target_for(host: str | None, settings: Settings, profile: Profile | None = None) -> Iterator[Target]:
    """The user's host, or a stand-in API on loopback with an API key made for this run."""
    if host:
        yield Target(host, "external", settings.api_key)
        return
    from loadtest.sandbox import running_sandbox

    api_key = settings.api_key or str(uuid.uuid4())
    options = {"profile": profile.name, "profile_scale": profile.scale} if profile else {}
    with running_sandbox(api_key=api_key, **options) as url:
        print(f"run_tests: no host given: running against the stand-in API at {url}")
        yield Target(url, "sandbox", api_key)


def expected_endpoints(plan: RunPlan) -> list[str]:
    """The endpoints the run is meant to exercise: the contract's, less those the tags leave out."""
    return [e.name for e in contract.API.selected(plan.tags, plan.exclude_tags)]


def run_facts(plan: RunPlan, target: Target) -> dict:
    """The run.json the gate and the baseline history read."""
    host = target.url
    return {
        "schema": 1,
        "preset": plan.preset,
        "users": plan.users,
        "spawn_rate": plan.spawn_rate,
        "run_time_s": plan.run_time_s,
        "wait_min_s": plan.wait_s[0],
        "wait_max_s": plan.wait_s[1],
        "workers": plan.workers,
        "host": config.redact_url(host),
        "target": target.kind,
        # "none", not null, on the stand-in: a null is a setting not recorded, which matches anything.
        "profile": (str(plan.profile) if plan.profile else "none") if target.kind == "sandbox" else None,
        "git_commit": plan.settings.commit or git_commit(),
        "locust_version": _locust_version(),
        "started_at": _utc_now(),
        "ended_at": None,
        "exit_code": None,
        "tags": list(plan.tags),
        "exclude_tags": list(plan.exclude_tags),
        "seed": plan.seed,
        "endpoints": expected_endpoints(plan),
        "lost_workers": [],
    }


def git_commit() -> str | None:
    """The commit of this checkout (LOADTEST_COMMIT, which CI sets to the PR's head, comes first)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def _locust_version() -> str:
    from importlib.metadata import version

    return version("locust")


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_json(path: Path, data: dict) -> None:
    bundle.write_atomically(path, json.dumps(data, indent=2) + "\n")


def run_locust(plan: RunPlan, target: Target) -> dict:
    """Run Locust headless into the bundle; return run.json's contents."""
    plan.out.mkdir(parents=True, exist_ok=True)
    facts = run_facts(plan, target)
    write_json(plan.out / bundle.RUN_FACTS, facts)
    env = locust_environ(target)
    deadline = plan.run_time_s + SHUTDOWN_GRACE_S
    if plan.expect_workers:
        deadline += plan.expect_workers_max_wait_s
    watch = workers_module.LostWorkerWatch()
    with open(plan.out / bundle.LOCUST_LOG, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            locust_command(plan, target.url),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        secrets = (*plan.settings.secrets(), target.api_key)
        exit_code = _relay_output(proc, log, secrets, deadline, watch.observe)
    for warning in watch.warnings():
        print(warning, file=sys.stderr)
    facts.update(ended_at=_utc_now(), exit_code=exit_code, lost_workers=watch.as_json())
    write_json(plan.out / bundle.RUN_FACTS, facts)
    return facts


def locust_environ(target: Target) -> dict[str, str]:
    """Locust's environment: ours, with the run's API key (the stand-in's own, when it runs one)."""
    return {**os.environ, "PYTHONUNBUFFERED": "1", "LOADTEST_API_KEY": target.api_key}


def _relay_output(  # noqa: ANN001
    proc: subprocess.Popen, log, secrets: tuple[str, ...], deadline_s: float, watch=lambda line: None
) -> int:
    """Copy Locust's output to the console and locust.log, masking secrets; kill it past the deadline.

    ``watch`` sees every masked line (the lost-worker watch reads the master's log through it)."""
    timer = threading.Timer(deadline_s, _stop, args=(proc,))
    timer.start()
    try:
        for line in proc.stdout:
            for secret in secrets:
                line = line.replace(secret, "***")
            sys.stdout.write(line)
            log.write(line)
            watch(line)
        return proc.wait()
    except KeyboardInterrupt:
        # Locust got the same Ctrl+C (same process group) and writes its reports; wait for them.
        return proc.wait(timeout=30)
    finally:
        timer.cancel()


def _stop(proc: subprocess.Popen) -> None:
    print(
        f"run_tests: Locust did not stop {SHUTDOWN_GRACE_S:.0f}s after its run time; stopping it",
        file=sys.stderr,
    )
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def successful_requests(out: Path) -> int | None:
    """Requests that succeeded, read by the one bundle reader; None when Locust wrote no usable stats."""
    try:
        aggregate = bundle.read_results(out).aggregate
    except bundle.BundleError:
        return None
    return aggregate.requests - aggregate.failures


def execute(plan: RunPlan) -> int:
    """Start the target if needed, run Locust, check something was measured, run the gate."""
    with target_for(plan.host, plan.settings, plan.profile) as target:
        preflight(target, plan.settings)
        facts = run_locust(plan, target)
    if plan.html_copy and (plan.out / bundle.HTML_REPORT).is_file():
        shutil.copyfile(plan.out / bundle.HTML_REPORT, plan.html_copy)
    if facts["exit_code"] == EXIT_USAGE:
        raise RunError("Locust refused the run: see its message above", EXIT_USAGE)
    succeeded = successful_requests(plan.out)
    if not succeeded:
        why = "Locust wrote no statistics" if succeeded is None else "no request succeeded"
        raise RunError(f"{why}: see {plan.out / bundle.LOCUST_LOG}", EXIT_NOTHING_MEASURED)
    print(f"\nrun_tests: results bundle: {plan.out}")
    return gate(plan) if plan.gate else EXIT_OK


def gate(plan: RunPlan) -> int:
    """The same verdict compare.py gives, printed at the end of the run and saved in the bundle."""
    from loadtest import gate as gate_module

    options = {"baseline": plan.baseline}
    if plan.thresholds:
        options["thresholds_path"] = plan.thresholds
    try:
        report = gate_module.run_gate(plan.out, **options)
    except gate_module.GateInputError as exc:
        raise RunError(f"gate: {exc}", EXIT_USAGE) from exc
    bundle.write_atomically(plan.out / bundle.SUMMARY_MD, gate_module.render_markdown(report))
    write_json(plan.out / bundle.VERDICT_JSON, gate_module.verdict_json(report))
    print(gate_module.render_console(report))
    return report.exit_code


def web_ui(host: str | None, settings: Settings) -> int:
    """Locust's web UI on loopback, against the given host or the stand-in API."""
    with target_for(host, settings) as target:
        preflight(target, settings)
        cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--host", target.url]
        cmd += ["--web-host", "127.0.0.1"]
        try:
            return subprocess.call(cmd, cwd=ROOT, env=locust_environ(target))
        except KeyboardInterrupt:
            return EXIT_OK


def run_worker(args: argparse.Namespace) -> int:
    """A Locust worker for a master on another machine: no bundle here; it exits when the master quits."""
    if args.preset or args.headless or args.expect_workers:
        raise RunError("--worker takes its load shape from the master: give --preset/-u/-t there", EXIT_USAGE)
    if not args.master_host:
        raise RunError(
            "--worker needs --master-host, the address of the machine running the master", EXIT_USAGE
        )
    try:
        master_host = workers_module.check_master_host(args.master_host)
    except ValueError as exc:
        raise RunError(str(exc), EXIT_USAGE) from exc
    cmd = workers_module.worker_command(
        master_host=master_host,
        master_port=args.master_port,
        locustfile=str(LOCUSTFILE),
        processes=args.workers or 1,
        seed=args.seed,
    )
    print(f"run_tests: worker of the master at {master_host}:{args.master_port}; exits when the master quits")
    try:
        return subprocess.call(cmd, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    except KeyboardInterrupt:
        return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.worker:
            return run_worker(args)
        if not args.preset and not args.headless:
            settings = Settings.from_environ()
            host = args.host or settings.host or None
            return web_ui(_checked_host(host, settings) if host else None, settings)
        return execute(plan_from_args(args))
    except RunError as exc:
        print(f"run_tests: error: {exc}", file=sys.stderr)
        return exc.exit_code
