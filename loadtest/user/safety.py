"""The production guard: heavy load and writes are refused against production hosts.

One function decides, so that the runner (before it starts Locust) and the
locustfile (when Locust is run by hand) refuse the same things with the same words.
"""

from __future__ import annotations

from collections.abc import Iterable

from loadtest import config
from loadtest.contract import Endpoint
from loadtest.presets import load_preset
from loadtest.settings import Settings

ALLOW_FLAG = "--allow-production-load"
LIGHTEST_ALLOWED = "quick"
"""The heaviest preset allowed against production (read-only): no more users, pace or time than it."""


def writes_enabled(
    endpoints: Iterable[Endpoint], tags: Iterable[str] | None, exclude: Iterable[str] | None
) -> bool:
    """Whether Locust's tag filter would keep a task of any endpoint that writes.

    An endpoint's full tag set counts, so that ``--tags auth`` is known to keep sign-up
    (tagged auth and write).
    """
    include, excluded = set(tags or ()), set(exclude or ())
    for endpoint in endpoints:
        task_tags = set(endpoint.tags)
        if not endpoint.writes or task_tags & excluded:
            continue
        if not include or task_tags & include:
            return True
    return False


def production_refusal(
    host: str,
    settings: Settings,
    *,
    heavy: bool,
    heavy_reason: str,
    writes: bool,
    allowed: bool,
) -> str | None:
    """The refusal message for this run, or None when it may go ahead."""
    if allowed or not host or not settings.is_production(host):
        return None
    name = config.hostname(host)
    if heavy:
        return (
            f"refusing to load production host {name}: {heavy_reason}. Production serves real users; "
            "use the quick preset, point --host at staging, "
            f"or pass {ALLOW_FLAG} if you really mean it."
        )
    if writes:
        return (
            f"refusing to run tasks that write data (tag 'write': sign-ups, threads, collections, contact "
            f"messages) against production host {name}: add --exclude-tags write, or pass {ALLOW_FLAG} "
            "if you really mean it."
        )
    return None


def heavy_run(users: int | None, run_time_s: float | None, wait_s: tuple[float, float]) -> tuple[bool, str]:
    """Whether a run exceeds the quick preset in users, request pace or time."""
    quick = load_preset(LIGHTEST_ALLOWED)
    if users and users > quick.users:
        return True, f"{users} users is more than the quick preset's {quick.users}"
    pace, quick_pace = _pace(users or 1, wait_s), _pace(quick.users, quick.wait_s)
    if pace > quick_pace * 1.001:
        return True, f"about {pace:.0f} requests/s is faster than the quick preset's about {quick_pace:.0f}"
    if not run_time_s:
        return True, "a run without a time limit"
    if run_time_s > quick.run_time_s:
        return True, f"a run time of {run_time_s:g}s is longer than the quick preset's {quick.run_time_s:g}s"
    return False, ""


def _pace(users: int, wait_s: tuple[float, float]) -> float:
    """Requests per second of users that wait ``wait_s`` between tasks (a request takes no time here)."""
    mean_wait = max(sum(wait_s) / 2, 0.01)
    return users / mean_wait
