"""Where the load goes: the user's host, or the stand-in API started for the run; and the preflight.

The preflight fails fast, before any load: the target answers, a user signs in and reads
(loadtest.preflight).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from loadtest.exitcodes import ExitCode
from loadtest.preflight import PreflightFailed, check_target
from loadtest.run.plan import Profile, RunError
from loadtest.settings import Settings


@dataclass(frozen=True)
class Target:
    """Where the load goes: a host of the user's, or the stand-in API started for the run."""

    url: str
    kind: str
    """``external`` or ``sandbox``."""
    api_key: str = field(repr=False)


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


def preflight(target: Target, settings: Settings, *, say: Callable[[str], None] = print) -> None:
    """Fail fast, before any load: RunError(NOT_MEASURED) unless a user signs in and reads."""
    try:
        checked = check_target(target.url, settings, api_key=target.api_key)
    except PreflightFailed as exc:
        raise RunError(str(exc), ExitCode.NOT_MEASURED) from None
    say(f"run_tests: preflight: {checked.how} and read the dashboard")
