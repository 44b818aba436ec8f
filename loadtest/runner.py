"""The runner behind scripts/run_tests.py: plan a run, start the target, run Locust, write the bundle.

Exit codes (also in ``--help``):
    0  the run completed and the gate passed (warnings allowed), or the web UI was closed
    1  the gate failed: a threshold or a regression rule broke
    2  bad input: unknown preset, malformed host, missing credentials, a refused production run
    3  nothing could be measured: target unreachable, Locust failed to start, or no request succeeded
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests

from loadtest import bundle, config, safety
from loadtest import workers as workers_module
from loadtest.presets import PresetError, load_preset, parse_duration

ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILE = ROOT / "locustfile.py"
EXIT_OK, EXIT_GATE_FAILED, EXIT_USAGE, EXIT_NOTHING_MEASURED = 0, 1, 2, 3
PREFLIGHT_TIMEOUT_S = 5.0
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
    html_copy: Path | None = None
    baseline: Path | None = None
    thresholds: Path | None = None
    gate: bool = True
    credentials: config.Credentials = field(default_factory=config.Credentials, repr=False)


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
        run_time_text = args.run_time or environ.get("LOADTEST_RUN_TIME")
        run_time = parse_duration(run_time_text) if run_time_text else None
    except PresetError as exc:
        raise RunError(str(exc), EXIT_USAGE) from exc
    if preset is None and not (args.users and run_time):
        raise RunError(
            "a custom headless run needs -u USERS and -t RUN_TIME (or use --preset NAME)", EXIT_USAGE
        )
    host = args.host or config.host_from_environ(environ) or None
    credentials = config.Credentials.from_environ(environ)
    if host:
        host = _checked_host(host, credentials)
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
        tags=tuple(args.tags),
        exclude_tags=tuple(args.exclude_tags),
        seed=args.seed,
        allow_production_load=args.allow_production_load,
        html_copy=args.html,
        baseline=args.baseline,
        thresholds=args.thresholds,
        gate=not args.no_gate,
        credentials=credentials,
    )
    _refuse_unsafe(plan, preset.peak_users if preset else plan.users)
    if plan.out.exists() and any(plan.out.iterdir()):
        raise RunError(
            f"--out {plan.out} is not empty: choose a new folder so no earlier results are lost", 2
        )
    return plan


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


def _checked_host(host: str, credentials: config.Credentials) -> str:
    try:
        host = config.validate_host(host)
    except config.ConfigError as exc:
        raise RunError(str(exc), EXIT_USAGE) from exc
    if "@" in host.split("//", 1)[1].split("/", 1)[0]:
        raise RunError("put credentials in LOADTEST_EMAIL/LOADTEST_PASSWORD, not in the host URL", EXIT_USAGE)
    if not config.is_loopback(host) and not credentials.present:
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
        plan.host, heavy=heavy, heavy_reason=reason, writes=False, allowed=plan.allow_production_load
    )
    if refusal:
        raise RunError(refusal, EXIT_USAGE)


def preflight(host: str) -> None:
    """Fail fast, before any load, when the target does not answer at all."""
    url = host + config.HELP_ARTICLES.path
    try:
        requests.get(url, timeout=PREFLIGHT_TIMEOUT_S)
    except requests.RequestException as exc:
        reason = type(exc).__name__
        raise RunError(
            f"target {config.redact_url(host)} is unreachable ({reason}): no load was sent", 3
        ) from exc


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


def run_facts(plan: RunPlan, host: str, target: str) -> dict:
    """The run.json the gate and the baseline history read."""
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
        "target": target,
        "git_commit": git_commit(),
        "locust_version": _locust_version(),
        "started_at": _utc_now(),
        "ended_at": None,
        "exit_code": None,
        "tags": list(plan.tags),
        "exclude_tags": list(plan.exclude_tags),
        "seed": plan.seed,
        "lost_workers": [],
    }


def git_commit() -> str | None:
    """The commit under test: LOADTEST_COMMIT (CI sets the PR head), else git."""
    if os.environ.get("LOADTEST_COMMIT"):
        return os.environ["LOADTEST_COMMIT"]
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


def run_locust(plan: RunPlan, host: str, target: str) -> dict:
    """Run Locust headless into the bundle; return run.json's contents."""
    plan.out.mkdir(parents=True, exist_ok=True)
    facts = run_facts(plan, host, target)
    write_json(plan.out / bundle.RUN_FACTS, facts)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    deadline = plan.run_time_s + SHUTDOWN_GRACE_S
    if plan.expect_workers:
        deadline += plan.expect_workers_max_wait_s
    watch = workers_module.LostWorkerWatch()
    with open(plan.out / bundle.LOCUST_LOG, "w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            locust_command(plan, host),
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        exit_code = _relay_output(proc, log, plan.credentials.secrets(), deadline, watch.observe)
    for warning in watch.warnings():
        print(warning, file=sys.stderr)
    facts.update(ended_at=_utc_now(), exit_code=exit_code, lost_workers=watch.as_json())
    write_json(plan.out / bundle.RUN_FACTS, facts)
    return facts


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
    from loadtest.sandbox import running_sandbox

    with ExitStack() as stack:
        if plan.host:
            host, target = plan.host, "external"
        else:
            host, target = stack.enter_context(running_sandbox()), "sandbox"
            print(f"run_tests: no host given: running against the stand-in API at {host}")
        preflight(host)
        facts = run_locust(plan, host, target)
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
    bundle.write_atomically(plan.out / bundle.SUMMARY_MD, report.markdown)
    write_json(plan.out / bundle.VERDICT_JSON, report.to_json())
    print(gate_module.render_console(report))
    return report.exit_code


def web_ui(host: str | None) -> int:
    """Locust's web UI on loopback, against the given host or the stand-in API."""
    from loadtest.sandbox import running_sandbox

    with ExitStack() as stack:
        if not host:
            host = stack.enter_context(running_sandbox())
            print(f"run_tests: no host given: the web UI targets the stand-in API at {host}")
        preflight(host)
        cmd = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(LOCUSTFILE),
            "--host",
            host,
            "--web-host",
            "127.0.0.1",
        ]
        try:
            return subprocess.call(cmd, cwd=ROOT)
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
            host = args.host or config.host_from_environ() or None
            return web_ui(_checked_host(host, config.Credentials.from_environ()) if host else None)
        return execute(plan_from_args(args))
    except RunError as exc:
        print(f"run_tests: error: {exc}", file=sys.stderr)
        return exc.exit_code
