"""AmalEducationUser: one learner of the Amal Education product, and its command-line options."""

from __future__ import annotations

import itertools
import logging
import os
import random
import sys

from locust import FastHttpUser, events

from loadtest import config, safety
from loadtest.data import DataPools, IdentityFactory
from loadtest.session import ApiSession, SignInFailed
from loadtest.tasks import (
    AIAssistantTasks,
    AuthenticationTasks,
    DashboardTasks,
    HelpCenterTasks,
    LibraryTasks,
)

logger = logging.getLogger(__name__)


class AmalEducationUser(FastHttpUser):
    """A signed-in learner who uses the dashboard, the AI assistant, the library and the help center."""

    host = config.host_from_environ() or None
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
    credentials: config.Credentials = config.Credentials()

    def __init__(self, environment) -> None:  # noqa: ANN001 - Locust's signature
        super().__init__(environment)
        self.rng = _user_rng(environment)
        self.api = ApiSession(self.client)
        self.identity: dict[str, str] = {}

    def wait_time(self) -> float:
        low, high = _wait_range(self.environment)
        return self.rng.uniform(low, high)

    def on_start(self) -> None:
        self.sign_in(required=True)

    def sign_in(self, *, required: bool) -> None:
        """Sign in with the configured account, or as a new account on a loopback host."""
        creds = self.credentials
        if creds.token and not creds.email:
            self.api.use_token(creds.token)
            return
        if not self.identity:
            self.identity = self._make_identity()
        try:
            self.api.sign_in(self.identity["email"], self.identity["password"])
        except SignInFailed as exc:
            if required:
                logger.warning("%s; this user carries on and its requests will show the failures", exc)

    def _make_identity(self) -> dict[str, str]:
        identity = self.identities.new()
        if self.credentials.present:
            return {**identity, "email": self.credentials.email, "password": self.credentials.password}
        # No account configured: only a loopback target (the stand-in API) lets us create one.
        self.api.sign_up(identity)
        return identity


_users_started = itertools.count()


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


def write_task_tags() -> list[set[str]]:
    """The full tag set of every task tagged ``write``, read from the task sets themselves."""
    found = []
    # Locust expands the weights dict into a list with repeats; each set counts once.
    for task_set in dict.fromkeys(AmalEducationUser.tasks):
        for fn in dict.fromkeys(task_set.tasks):
            tags = set(getattr(fn, "locust_tag_set", ()))
            if "write" in tags:
                found.append(tags)
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


@events.init.add_listener
def prepare(environment, **_kwargs) -> None:  # noqa: ANN001
    """Build the data pools once per process and refuse unsafe runs against production."""
    opts = environment.parsed_options
    seed = getattr(opts, "seed", None)
    AmalEducationUser.pools = DataPools.build(seed)
    AmalEducationUser.identities = IdentityFactory(
        AmalEducationUser.pools, random.Random(seed), process_tag=f"p{os.getpid()}"
    )
    AmalEducationUser.credentials = config.Credentials.from_environ()
    if opts is not None:
        _refuse_unsafe_run(environment, opts)


def _refuse_unsafe_run(environment, opts) -> None:  # noqa: ANN001
    host = environment.host or AmalEducationUser.host or ""
    heavy, reason = safety.heavy_run(opts.num_users, opts.run_time, (opts.wait_min, opts.wait_max))
    refusal = safety.production_refusal(
        host,
        heavy=heavy,
        heavy_reason=reason,
        writes=safety.writes_enabled(write_task_tags(), opts.tags, opts.exclude_tags),
        allowed=opts.allow_production_load,
    )
    if refusal:
        logger.error(refusal)
        sys.exit(2)
