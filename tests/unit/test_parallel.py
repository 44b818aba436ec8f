"""How the suite shares its workers (tests/parallel.py): slow modules stay whole, `alone` runs alone.

The lock is checked from this process: each ``open`` of the lock file is a lock holder of its own, as a
worker is, and a probe that may not wait (LOCK_NB) says whether a holder would have to.
"""

import fcntl
import threading
import time

import pytest

from tests import parallel

HANG_S = 60
"""Only a hang waits this long: every wait here ends as soon as the state it waits for is reached."""


@pytest.mark.parametrize(
    ("nodeid", "unit"),
    [
        ("tests/integration/test_a.py::test_one[x]", "tests/integration/test_a.py"),
        ("tests/integration/test_a.py::Case::test_two", "tests/integration/test_a.py"),
        ("tests/e2e/test_b.py::test_three[y::z]", "tests/e2e/test_b.py"),
        ("tests/grouped/test_c.py::test_four", "g"),
        ("tests/grouped/test_d.py::test_five", "g"),
        ("tests/unit/test_e.py::test_six[p]", "tests/unit/test_e.py::test_six[p]"),
    ],
)
def test_a_slow_module_stays_whole_a_group_goes_together_and_unit_tests_are_spread(nodeid, unit, monkeypatch):
    monkeypatch.setitem(parallel.GROUPS, "tests/grouped/", "g")

    assert parallel.work_unit(nodeid) == unit


def can_take(path, how) -> bool:
    """Whether a holder of its own could take ``path`` in mode ``how`` now, without waiting."""
    with path.open("a") as probe:
        try:
            fcntl.flock(probe, how | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(probe, fcntl.LOCK_UN)
        return True


def test_an_ordinary_test_shares_the_lock_and_an_alone_test_holds_it_by_itself(tmp_path):
    lock = tmp_path / "alone.lock"

    with parallel.turn(lock, alone=False):
        assert can_take(lock, fcntl.LOCK_SH) and not can_take(lock, fcntl.LOCK_EX)
    with parallel.turn(lock, alone=True):
        assert not can_take(lock, fcntl.LOCK_SH)
    assert can_take(lock, fcntl.LOCK_EX), "the lock is free after the test"


def wait_until(condition) -> None:
    """Until ``condition()`` holds; fails only on a hang."""
    deadline = time.monotonic() + HANG_S
    while not condition():
        assert time.monotonic() < deadline, "the state never came"
        time.sleep(0.01)


def test_a_waiting_alone_test_keeps_new_tests_out_until_it_has_run(tmp_path):
    lock = tmp_path / "alone.lock"
    turnstile = lock.with_suffix(".turnstile")
    ran = threading.Event()

    def alone_test():
        with parallel.turn(lock, alone=True):
            ran.set()

    with lock.open("a") as running:  # a test running on the other worker
        fcntl.flock(running, fcntl.LOCK_SH)
        waiting = threading.Thread(target=alone_test, daemon=True)
        waiting.start()
        wait_until(lambda: not can_take(turnstile, fcntl.LOCK_EX))
        # The alone test waits for the running one, and holds the turnstile: a next test would wait.
        assert not ran.is_set()
        fcntl.flock(running, fcntl.LOCK_UN)
    waiting.join(HANG_S)

    assert ran.is_set() and can_take(turnstile, fcntl.LOCK_EX) and can_take(lock, fcntl.LOCK_EX)
