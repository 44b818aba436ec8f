"""AmalEducationUser: one learner of the Amal Education product, and its command-line options."""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import random
import sys
import time

import gevent
from locust import FastHttpUser, events
from locust.contrib.fasthttp import FastHttpSession
from locust.runners import WorkerRunner

from loadtest import config, contract
from loadtest.exitcodes import ExitCode
from loadtest.settings import Settings
from loadtest.sides import DEFAULT_BLOCK_S, DESIGNS, SideChooser, SideClient
from loadtest.text import masking
from loadtest.user import safety, status
from loadtest.user.data import DataPools, IdentityFactory
from loadtest.user.preflight import explain_refusal
from loadtest.user.session import ApiSession, SignInFailed, Tokens, UserData
from loadtest.user.tasks import (
    AIAssistantTasks,
    AuthenticationTasks,
    DashboardTasks,
    HelpCenterTasks,
    LibraryTasks,
)

logger = logging.getLogger(__name__)


class AmalEducationUser(FastHttpUser):
    """A signed-in learner who uses the dashboard, the AI assistant, the library and the help center."""

    tasks = {
        AuthenticationTasks: 1,
        DashboardTasks: 3,
        AIAssistantTasks: 2,
        LibraryTasks: 2,
        HelpCenterTasks: 1,
    }
    connection_timeout = config.REQUEST_TIMEOUT_S
    network_timeout = config.REQUEST_TIMEOUT_S

    pools: DataPools
    identities: IdentityFactory
    settings: Settings = Settings()

    def __init__(self, environment) -> None:  # noqa: ANN001 - Locust's signature
        super().__init__(environment)
        self.rng = _user_rng(environment)
        settings = self.settings
        identity = self.identities.new()
        if settings.can_sign_in:
            identity = identity.__class__(
                **{**vars(identity), "email": settings.email, "password": settings.password}
            )
        can_sign_in = settings.can_sign_in or not settings.has_credentials
        self.api = ApiSession(
            self.client,
            UserData(self.pools, self.rng, identity, Tokens()),
            api_key=settings.api_key,
            can_sign_in=can_sign_in,
        )
        self.sides: dict[str, ApiSession] = {}
        """A run of a base against a head (--base-host): each side's session; empty otherwise."""
        self.chooser: SideChooser | None = None
        opts = environment.parsed_options
        if opts is not None and getattr(opts, "base_host", None):
            self.chooser = SideChooser(
                opts.ab_design, random.Random(self.rng.random()), block_s=opts.ab_block_s
            )
            base_client = FastHttpSession(
                base_url=opts.base_host,
                request_event=environment.events.request,
                user=self,
                network_timeout=self.network_timeout,
                connection_timeout=self.connection_timeout,
            )
            for side, client in (("head", self.client), ("base", base_client)):
                data = UserData(self.pools, random.Random(self.rng.random()), identity, Tokens())
                self.sides[side] = ApiSession(
                    SideClient(client, side), data, api_key=settings.api_key, can_sign_in=can_sign_in
                )
            self.api = self.sides["head"]

    def sessions_for_task(self) -> list[ApiSession]:
        """The sessions the next task goes to, in order: this user's one, or the sides' (loadtest.sides)."""
        if self.chooser is None:
            return [self.api]
        sides, block = self.chooser.sides_for_task(_run_started)
        sessions = [self.sides[side] for side in sides]
        for session in sessions:
            session.client.block = block
        return sessions

    def wait_time(self) -> float:
        low, high = _wait_range(self.environment)
        return self.rng.uniform(low, high)

    def on_start(self) -> None:
        settings = self.settings
        for session in self.sides.values() or [self.api]:
            self.api = session
            self._start_session(settings)

    def _start_session(self, settings: Settings) -> None:
        if settings.token_only:
            self.api.use_token(settings.token)
            return
        # While no user has signed in, a refused one waits and tries again instead of sending tasks
        # that can only fail; once every user was refused, the run stops (see _SignIns).
        for attempt in itertools.count():
            try:
                self._first_sign_in(fresh_identity=attempt > 0)
            except SignInFailed as exc:
                _sign_ins.failed(self, exc)
                if _sign_ins.ok or _sign_ins.stopping:
                    logger.warning("%s; this user carries on and its requests will show the failures", exc)
                    return
                gevent.sleep(min(0.5 * 2**attempt, 5.0))
            else:
                _sign_ins.succeeded()
                return

    def _first_sign_in(self, *, fresh_identity: bool) -> None:
        if self.settings.can_sign_in:
            self.api.sign_in()
            return
        # No account configured: only a loopback target (the stand-in API) lets us create one;
        # a new one on each try, as a refused sign-up may still have created the first.
        if fresh_identity:
            self.api.data.identity = self.identities.new()
        self.api.sign_up(self.api.data.identity, keep_tokens=True)

    def sign_in_again(self) -> None:
        """The sign-in task: renews the tokens of a user that has an account."""
        if not self.api.can_sign_in:
            return
        with contextlib.suppress(SignInFailed):  # already a failure in the stats, with the API's answer
            self.api.sign_in()


class _SignIns:
    """The users' first sign-ins in this process, so that a run where none can sign in stops at once."""

    def __init__(self) -> None:
        self.ok = 0
        self.refused: set[int] = set()
        """The users refused at least once (their ids)."""
        self.stopping = False

    def succeeded(self) -> None:
        self.ok += 1

    def failed(self, user: AmalEducationUser, exc: SignInFailed) -> None:
        self.refused.add(id(user))
        environment = user.environment
        runner = environment.runner
        target = getattr(runner, "target_user_count", None) or 1
        if self.ok or self.stopping or len(self.refused) < target:
            return
        self.stopping = True
        hint = explain_refusal(exc.step, exc.status, exc.answer, AmalEducationUser.settings)
        logger.error("no simulated user could sign in, so the run stops before it sends load: %s", hint)
        environment.process_exit_code = ExitCode.NOT_MEASURED  # no user could sign in
        # From another greenlet: quit() stops every user, this one included.
        gevent.spawn(runner.quit)


_sign_ins = _SignIns()
_users_started = itertools.count()
_run_started = time.monotonic()
"""When the load started in this process (test_start): the blocks of a base-against-head run count from it."""


def _user_rng(environment) -> random.Random:  # noqa: ANN001
    """A seeded run gives its n-th user the same random stream every time."""
    seed = getattr(environment.parsed_options, "seed", None)
    n = next(_users_started)
    return random.Random() if seed is None else random.Random(f"{seed}-{n}")


def _wait_range(environment) -> tuple[float, float]:  # noqa: ANN001
    opts = environment.parsed_options
    if opts is None:
        return config.DEFAULT_WAIT_S
    return opts.wait_min, opts.wait_max


def task_endpoints() -> list:
    """The contract endpoint of every task, read from the task sets themselves."""
    found = []
    # Locust expands the weights dict into a list with repeats; each set counts once.
    for task_set in dict.fromkeys(AmalEducationUser.tasks):
        for fn in dict.fromkeys(task_set.tasks):
            found.append(fn.endpoint)
    return found


@events.init_command_line_parser.add_listener
def add_options(parser, **_kwargs) -> None:  # noqa: ANN001
    """Options of this load test; presets set them in their config files."""
    parser.add_argument(
        "--wait-min", type=float, default=config.DEFAULT_WAIT_S[0], help="Shortest wait between tasks (s)"
    )
    parser.add_argument(
        "--wait-max", type=float, default=config.DEFAULT_WAIT_S[1], help="Longest wait between tasks (s)"
    )
    parser.add_argument("--seed", type=int, default=None, help="Seed for fake data, for reproducible runs")
    parser.add_argument(
        "--allow-production-load",
        action="store_true",
        default=False,
        help="Allow heavy presets and write tasks against a production host. Think twice.",
    )
    parser.add_argument("--base-host", default="", help="Also load this base, against --host as the head")
    parser.add_argument(
        "--ab-design",
        choices=DESIGNS,
        default="paired",
        help="How base and head share the run (loadtest.sides)",
    )
    # Read by the runner (loadtest.presets), not here: registered so that Locust accepts the key in a
    # preset file given as --config.
    parser.add_argument(
        "--base-run-time", default="", help="A preset's run time when a base is loaded too (the runner's)"
    )
    parser.add_argument(
        "--ab-block-s", type=float, default=DEFAULT_BLOCK_S, help="Block length of the blocks design (s)"
    )
    status.add_options(parser)


@events.init.add_listener
def prepare(environment, **_kwargs) -> None:  # noqa: ANN001
    """Build the data pools once per process and refuse unsafe runs against production."""
    opts = environment.parsed_options
    seed = getattr(opts, "seed", None)
    AmalEducationUser.settings = Settings.from_environ()
    masking.RUN.add(*AmalEducationUser.settings.secrets())
    if not environment.host and AmalEducationUser.settings.host:
        environment.host = AmalEducationUser.settings.host
    AmalEducationUser.pools = DataPools.build(seed)
    AmalEducationUser.identities = IdentityFactory(
        AmalEducationUser.pools, random.Random(seed), process_tag=f"p{os.getpid()}"
    )
    _quiet_ctrl_c()
    if opts is not None:
        _refuse_unsafe_run(environment, opts)
        # What the users will do, in the run's own log: run.json records the plan, this what Locust took.
        logger.info("users wait %g-%g s between tasks", *_wait_range(environment))
    # Locust sets its --run-time timer next, by the clock gevent's loop last read, before the
    # locustfile was imported and these pools built: without this the run ends early by that long
    # (0.5 s here, over 1.5 s on a busy machine), so a short run measured less than it said.
    gevent.get_hub().loop.update_now()


@events.test_start.add_listener
def watch_the_run(environment, **_kwargs) -> None:  # noqa: ANN001
    """Status lines and stop conditions (loadtest.user.status), on the local runner or the master only."""
    global _run_started
    _run_started = time.monotonic()
    if environment.parsed_options is not None and not isinstance(environment.runner, WorkerRunner):
        status.start_watch(environment)


@events.test_stop.add_listener
def end_the_watch(environment, **_kwargs) -> None:  # noqa: ANN001
    """The watch's last status line: where the run ended."""
    status.end_watch(environment)


def _quiet_ctrl_c() -> None:
    """A SIGINT is how the runner (or a terminal) stops a run gracefully: Locust catches it, writes its
    reports and exits. gevent's hub would first print it as an error ("KeyboardInterrupt" and a time,
    into locust.log and the console); it still reaches Locust, only unprinted."""
    hub = gevent.get_hub()
    if not issubclass(KeyboardInterrupt, hub.NOT_ERROR):
        hub.NOT_ERROR = (*hub.NOT_ERROR, KeyboardInterrupt)


def _refuse_unsafe_run(environment, opts) -> None:  # noqa: ANN001
    if problem := contract.API.tag_problem(tuple(opts.tags or ()), tuple(opts.exclude_tags or ())):
        logger.error(problem)  # else Locust raises "No tasks defined" for every user and passes
        sys.exit(ExitCode.USAGE)
    host = environment.host or ""
    heavy, reason = safety.heavy_run(opts.num_users, opts.run_time, (opts.wait_min, opts.wait_max))
    refusal = safety.production_refusal(
        host,
        AmalEducationUser.settings,
        heavy=heavy,
        heavy_reason=reason,
        writes=safety.writes_enabled(task_endpoints(), opts.tags, opts.exclude_tags),
        allowed=opts.allow_production_load,
    )
    if refusal:
        logger.error(refusal)
        sys.exit(ExitCode.USAGE)
