"""Where the load goes: the user's host, the API started from a checkout (loadtest.run.server), or the
stand-in API started for the run; and the preflight.

The preflight fails fast, before any load: the target answers, a user signs in and reads
(loadtest.user.preflight).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loadtest.exitcodes import ExitCode
from loadtest.run.plan import Profile, RunError, ServerCommands
from loadtest.settings import Settings
from loadtest.user.preflight import PreflightFailed, check_target

if TYPE_CHECKING:
    from loadtest.run.server import StartedServer

HEAD = "head"
BASE = "base"
"""The side of a run whose API is the checkout under test (LOADTEST_SIDE)."""


@dataclass(frozen=True)
class Target:
    """Where the load goes: a host of the user's, or the stand-in API started for the run."""

    url: str
    kind: str
    """``external``, ``started`` (the API started from a checkout) or ``sandbox``."""
    api_key: str = field(repr=False)
    server: StartedServer | None = field(default=None, repr=False, compare=False)
    """The started API's process, watched while the load runs; None for the other kinds."""


@contextmanager
def target_for(
    host: str | None,
    settings: Settings,
    profile: Profile | None = None,
    *,
    faults: Sequence[Mapping[str, Any]] = (),
    seed: int | None = None,
    say: Callable[[str], None] = print,
    new_session: bool = False,
) -> Iterator[Target]:
    """The user's host, or a stand-in API on loopback with an API key made for this run.

    ``new_session``: the stand-in runs in a session of its own, out of reach of a terminal's Ctrl-C,
    so that it outlives Locust's last requests (the runner stops it, after Locust)."""
    if host:
        yield Target(host, "external", settings.api_key)
        return
    from loadtest.sandbox import running_sandbox

    api_key = settings.api_key or str(uuid.uuid4())
    options: dict[str, Any] = {"profile": profile.name, "profile_scale": profile.scale} if profile else {}
    if faults:
        options["faults"] = list(faults)
    with running_sandbox(api_key=api_key, seed=seed, new_session=new_session, **options) as url:
        say(f"run_tests: no host given: running against the stand-in API at {url}")
        yield Target(url, "sandbox", api_key)


@contextmanager
def started_target(
    commands: ServerCommands,
    settings: Settings,
    *,
    log_path: Path,
    stopping: Callable[[], bool] = lambda: False,
    say: Callable[[str], None] = print,
    side: str = HEAD,
) -> Iterator[Target]:
    """The API started from a checkout on loopback (``side``: the head, or a base beside it), stopped
    when the block ends;
    RunError(NOT_MEASURED) when its setup fails or it is not ready, INCOMPLETE when interrupted first.

    Its commands get the API key in LOADTEST_API_KEY, one made for the run when none is set, as the
    stand-in does: the setup creates it, and no secret of a real host need reach the checkout's code."""
    from loadtest.run.server import StartedServer

    api_key = settings.api_key or str(uuid.uuid4())
    secrets = (*settings.secrets(), api_key)
    options = {"log_path": log_path, "secrets": secrets, "stopping": stopping, "say": say}
    with StartedServer(commands, side=side, api_key=api_key, **options) as server:
        yield Target(server.url, "started", api_key, server)


def preflight(target: Target, settings: Settings, *, say: Callable[[str], None] = print) -> None:
    """Fail fast, before any load: RunError(NOT_MEASURED) unless a user signs in and reads."""
    try:
        checked = check_target(target.url, settings, api_key=target.api_key)
    except PreflightFailed as exc:
        raise RunError(str(exc) + _server_ending(target), ExitCode.NOT_MEASURED) from None
    say(f"run_tests: preflight: {checked.how} and read the dashboard")


def _server_ending(target: Target) -> str:
    """What a started API that has ended printed last, for an error that may be its doing."""
    server = target.server
    if server is None or not server.exited:
        return ""
    return f"; the API server ended ({server.describe_exit()}): {server.show_tail()}"
