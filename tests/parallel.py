"""How the suite shares two workers (`pytest -n 2`, pytest-xdist).

- **A slow module runs whole on one worker**: its module-scoped fixtures (a Locust run, a started API,
  an act rehearsal) then start once, not once per worker. Unit tests are spread one by one.
- **A group runs on one worker, one module after another** (``GROUPS``): for modules that share
  something only one may use at a time. None does today: the two act rehearsals run side by side (each
  with its own fake GitHub, folders and ports), as the two longest modules of the suite.
- **A test marked ``pytest.mark.alone`` runs while no other test runs on any worker**: it waits for the
  running test to end, and the other worker waits for it. The lock is a writer-first reader-writer lock
  of two ``flock``s in the run's temporary folder, which the workers share.

The work units are the scheduler's (``ModuleScheduling``) rather than xdist's own ``xdist_group`` mark
with ``--dist loadgroup``: under pytest 9.2 that mark is silently ignored (pytest-dev/pytest-xdist#1386).
Without ``-n`` there is one process and nothing to share: no scheduler, no lock.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ALONE = "alone"
"""The mark of a test that must run while no other test runs (paired timings, a whole-machine figure)."""
SPREAD = "tests/unit/"
"""Where each test is a work unit of its own: unit tests start nothing and share nothing."""
GROUPS: dict[str, str] = {}
"""A folder or module (a prefix of the node id) -> its group: the modules under it run on one worker."""


def work_unit(nodeid: str) -> str:
    """What runs on one worker, in order: the test's group, else its module, else (a unit test) itself."""
    module = nodeid.split("::", 1)[0]
    for prefix, group in GROUPS.items():
        if module.startswith(prefix):
            return group
    return nodeid if module.startswith(SPREAD) else module


def make_scheduler(config: pytest.Config, log):
    """xdist's scope scheduler with ``work_unit`` as the scope, the units handed out in collection order
    (tests/e2e's act rehearsals, the longest, first; the unit tests, the shortest, last to fill gaps)."""
    from xdist.scheduler import LoadScopeScheduling  # only under -n, where xdist is loaded

    class ModuleScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    config.option.loadscopereorder = False
    return ModuleScheduling(config, log)


def lock_path(config: pytest.Config) -> Path | None:
    """The lock of this run of the suite, shared by its workers; None outside a worker.

    xdist gives each worker a folder of the run's temporary folder as its --basetemp."""
    if not hasattr(config, "workerinput"):
        return None
    return Path(config.option.basetemp).parent / "alone.lock"


@contextmanager
def turn(path: Path, alone: bool) -> Iterator[None]:
    """Holds the run's lock for one test: shared by ordinary tests, exclusive for a test run alone.

    Every test first passes the turnstile, which a waiting ``alone`` test keeps closed until it runs:
    ordinary tests on the other worker cannot keep it waiting for ever.
    """
    turnstile = path.with_suffix(".turnstile")
    with path.open("a") as held, turnstile.open("a") as gate:
        fcntl.flock(gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(held, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        finally:
            fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)
