"""RunPlan: everything one headless run needs, decided before any traffic is sent.

``plan_run`` builds one from a preset (read once) plus what the caller overrides: the runner's
command line, the calibration, the benchmarks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from loadtest import config, contract
from loadtest.exitcodes import ExitCode
from loadtest.presets import Preset, load_preset
from loadtest.settings import Settings
from loadtest.user import safety
from loadtest.workers import DEFAULT_MASTER_PORT

LOCUSTFILE = Path(str(resources.files("loadtest.locustfiles") / "locustfile.py"))
"""The locustfile the runner gives Locust: a preset's ``locustfile = locustfile.py``, wherever it runs."""
ROOT = Path(str(resources.files("loadtest"))).parent
"""Where Locust starts: the folder that holds the package (a checkout, or site-packages), where a
preset's other files (``loadtest/presets/spike_shape.py``) are found."""
CUSTOM = "custom"
"""The preset name of a run set by users and run time alone."""


class RunError(Exception):
    """A run cannot start, measured nothing or was interrupted; ``exit_code`` says which (USAGE,
    NOT_MEASURED or INCOMPLETE)."""

    def __init__(self, message: str, exit_code: ExitCode) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class Profile:
    """A latency profile of the stand-in API (loadtest.sandbox.profiles) and its time scale."""

    name: str
    scale: float = 1.0

    def __str__(self) -> str:
        return self.name if self.scale == 1 else f"{self.name} x{self.scale:g}"


DEFAULT_READY_PATH = "/api/help-center/help-articles/"
DEFAULT_READY_TIMEOUT_S = 120.0


@dataclass(frozen=True, kw_only=True)
class ServerCommands:
    """How to run the API under test from a checkout (``loadtest run --start/--setup/--dir/--ready-*``;
    loadtest.run.server runs them)."""

    start: str
    """A shell command serving the API on 127.0.0.1:$PORT, in the foreground, until it is stopped."""
    setup: str = ""
    """A shell command run once to completion before the server starts; empty: none."""
    directory: Path = Path()
    """The checkout both commands run in."""
    ready_path: str = DEFAULT_READY_PATH
    """Polled until it answers below 500: then the server is ready."""
    ready_timeout_s: float = DEFAULT_READY_TIMEOUT_S


@dataclass(frozen=True, kw_only=True)
class BaseSide:
    """The base of a run of a base against a head, and how the two share the run (loadtest.sides)."""

    host: str
    design: str = "paired"
    block_s: float = 15.0
    commit: str | None = None
    server: ServerCommands | None = None
    """The base started from its own checkout (--base-dir); then ``host`` is known once it is ready."""


@dataclass(frozen=True, kw_only=True)
class RunPlan:
    """Everything one headless run needs, decided before any traffic is sent."""

    preset: str
    """A preset name, or ``custom`` for a run set by users and run time alone."""
    config: Preset | None = None
    """The preset file Locust is given with ``--config``; None: ``locustfile`` and flags alone."""
    locustfile: Path = LOCUSTFILE
    user_classes: tuple[str, ...] = ()
    """Locust user classes to run (default: every one the locustfile has)."""
    users: int
    spawn_rate: float
    run_time_s: float
    wait_s: tuple[float, float] | None
    """Shortest and longest wait between a user's tasks; None: the locustfile's own (bare users)."""
    host: str | None
    """None: start the API from ``server``, else the stand-in API, and run against it."""
    server: ServerCommands | None = None
    """The API under test, started from a checkout on the runner (only without a host)."""
    out: Path | None
    """The bundle folder; None: no bundle (a benchmark's measured run writes no reports)."""
    workers: int = 1
    """Locust worker processes: local ones (--processes), or remote ones the master waits for."""
    expect_workers: int = 0
    """Above 0: this machine is the master of that many workers started elsewhere (--worker)."""
    expect_workers_max_wait_s: float = 60.0
    master_bind_host: str = "127.0.0.1"
    master_bind_port: int = DEFAULT_MASTER_PORT
    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()
    seed: int | None = None
    allow_production_load: bool = False
    stop_timeout_s: float | None = None
    """Locust's --stop-timeout, when the plan, not the preset, sets it."""
    profile: Profile | None = None
    """The stand-in's latency profile (only without a host)."""
    faults: tuple[Mapping[str, Any], ...] = ()
    """The stand-in's fault rules (only without a host), as loadtest.sandbox takes them."""
    sandbox_seed: int | None = None
    """The stand-in's seed for its fault and mystery-box randomness (only without a host)."""
    stop: Mapping[str, float] = field(default_factory=dict)
    """thresholds.json's stop conditions for this run (its ``stop`` keys, loadtest.user.status.STOP_OPTIONS):
    they override the preset's stop-* keys, which override the load test's defaults."""
    settings: Settings = field(default_factory=Settings, repr=False)
    base: BaseSide | None = None
    """A base loaded beside the head (``host``) in the same Locust run (loadtest.sides); None: one target."""

    @property
    def peak_users(self) -> int:
        """Highest user count the run reaches: a spike preset goes above ``users``."""
        return max(self.users, self.config.peak_users if self.config else 0)


@dataclass(frozen=True, kw_only=True)
class Overrides:
    """What the caller sets instead of the preset; None keeps the preset's value."""

    users: int | None = None
    spawn_rate: float | None = None
    run_time_s: float | None = None
    wait_min_s: float | None = None
    wait_max_s: float | None = None
    workers: int | None = None


def plan_run(preset_name: str | None, overrides: Overrides = Overrides(), **options: Any) -> RunPlan:
    """A plan from the preset ``preset_name`` (or a custom run) and ``overrides``; RunError(USAGE) if not.

    ``options`` are the other RunPlan fields (host, out, tags, settings, ...). The preset is a built-in
    one or one in the settings' ``presets_dir``. A custom run needs users and a run time. A default
    ``out`` is ``results/<preset>-<UTC time>``; it must be new or empty.
    """
    presets_dir = options.get("settings", Settings()).presets_dir
    preset = load_preset(preset_name, presets_dir) if preset_name else None
    if preset is None and not (overrides.users and overrides.run_time_s):
        raise RunError(
            "a custom headless run needs -u USERS and -t RUN_TIME (or use --preset NAME)", ExitCode.USAGE
        )
    # Checked before anything starts: an unknown tag selects no task, and Locust would then pass a run
    # that sent nothing but "No tasks defined" errors.
    if problem := contract.API.tag_problem(
        tuple(options.get("tags", ())), tuple(options.get("exclude_tags", ()))
    ):
        raise RunError(problem, ExitCode.USAGE)
    name = preset.name if preset else CUSTOM
    low, high = preset.wait_s if preset else config.DEFAULT_WAIT_S
    options.setdefault("out", Path("results") / f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}")
    if options["out"] is not None:
        # Locust starts in ROOT: a folder relative to anywhere else would split the bundle.
        options["out"] = Path(options["out"]).absolute()
    plan = RunPlan(
        preset=name,
        config=preset,
        users=overrides.users or (preset.users if preset else 1),
        spawn_rate=overrides.spawn_rate or (preset.spawn_rate if preset else float(overrides.users or 1)),
        run_time_s=overrides.run_time_s
        or (preset.run_time_for(with_base=options.get("base") is not None) if preset else 0),
        wait_s=(
            low if overrides.wait_min_s is None else overrides.wait_min_s,
            high if overrides.wait_max_s is None else overrides.wait_max_s,
        ),
        workers=overrides.workers or (preset.processes if preset else 1),
        **options,
    )
    refuse_unsafe(plan)
    if plan.out and plan.out.is_dir() and any(plan.out.iterdir()):
        raise RunError(
            f"--out {plan.out} is not empty: choose a new folder so no earlier results are lost",
            ExitCode.USAGE,
        )
    return plan


def checked_host(host: str, settings: Settings) -> str:
    """The host without a trailing slash, or RunError(USAGE) when it is malformed or lacks credentials."""
    try:
        host = config.validate_host(host)
    except config.ConfigError as exc:
        raise RunError(str(exc), ExitCode.USAGE) from exc
    if "@" in host.split("//", 1)[1].split("/", 1)[0]:
        raise RunError(
            "put credentials in LOADTEST_EMAIL/LOADTEST_PASSWORD, not in the host URL", ExitCode.USAGE
        )
    if not config.is_loopback(host) and not settings.has_credentials:
        raise RunError(
            f"host {host} needs credentials: set LOADTEST_EMAIL and LOADTEST_PASSWORD (or LOADTEST_TOKEN); "
            "only a loopback host lets the load test sign up its own users",
            ExitCode.USAGE,
        )
    return host


def refuse_unsafe(plan: RunPlan) -> None:
    """Refuse heavy runs against production here; Locust itself refuses write tasks there
    (loadtest/user/locust_user.py), before its first request, because only it knows the tasks' tags."""
    if plan.host is None:
        return
    heavy, reason = safety.heavy_run(plan.peak_users, plan.run_time_s, plan.wait_s or config.DEFAULT_WAIT_S)
    refusal = safety.production_refusal(
        plan.host,
        plan.settings,
        heavy=heavy,
        heavy_reason=reason,
        writes=False,
        allowed=plan.allow_production_load,
    )
    if refusal:
        raise RunError(refusal, ExitCode.USAGE)
