"""loadtest.user.status without Locust: the status line, the stop conditions, the lines the runner reads."""

import argparse

import pytest

from loadtest.user.status import (
    LOGGER,
    MIN_WINDOW_REQUESTS,
    STOP_OPTIONS,
    Status,
    StopRules,
    add_options,
    is_status,
    parse_stop,
    stop_flags,
    stop_message,
    stop_rules,
)

RULES = StopRules()


def test_the_status_line_says_elapsed_of_planned_users_requests_rate_failures_and_p95():
    status = Status(elapsed_s=20.2, planned_s=60, users=10, requests=1984, failures=0, rps=99.2, p95_ms=3)

    assert status.line() == "progress: 20s/60s users 10 requests 1,984 99.2 req/s failures 0.00% p95 3 ms"


def test_a_run_without_a_run_time_or_requests_yet_still_has_a_status_line():
    status = Status(elapsed_s=4.0, planned_s=None, users=3, requests=0, failures=0, rps=0.0, p95_ms=None)

    assert status.line() == "progress: 4s users 3 requests 0 0.0 req/s failures 0.00% p95 -"
    assert is_status(LOGGER, status.line()) and not is_status("locust.main", status.line())


@pytest.mark.parametrize(
    ("elapsed", "window", "since_success", "fires"),
    [
        (9.9, (100, 100), 9.9, None),  # the warm-up: nothing is checked yet
        (10.0, (100, 51), 0.0, "failure ratio 51% over the last 10 s, above 50%"),
        (10.0, (100, 50), 0.0, None),  # at the limit, not above it
        (30.0, (MIN_WINDOW_REQUESTS - 1, MIN_WINDOW_REQUESTS - 1), 1.0, None),  # too few to tell
        (30.0, (0, 0), 15.0, "no successful request for 15 s"),
        (30.0, (0, 0), 14.9, None),
    ],
)
def test_the_default_stop_conditions(elapsed, window, since_success, fires):
    assert RULES.check(elapsed, window, since_success) == fires


def test_a_condition_set_to_never_never_fires():
    never = StopRules(failure_ratio=1.0, no_success_s=0)

    assert never.check(600.0, (1000, 1000), 600.0) is None


def test_the_stop_line_reads_back_as_when_and_which_condition():
    message = stop_message(21.4, "failure ratio 76% over the last 10 s, above 50%")

    assert message == "stopped early after 21 s: failure ratio 76% over the last 10 s, above 50%"
    assert parse_stop(LOGGER, message) == (21.0, "failure ratio 76% over the last 10 s, above 50%")
    assert parse_stop("locust.main", message) is None
    assert parse_stop(LOGGER, "progress: 20s/60s users 10") is None


def test_locust_options_default_to_the_stop_rules_and_a_preset_key_overrides_one():
    parser = argparse.ArgumentParser()
    add_options(parser)

    assert stop_rules(parser.parse_args([])) == RULES
    overridden = stop_rules(parser.parse_args(["--stop-failure-window", "60"]))
    assert overridden == StopRules(failure_window_s=60.0)
    assert parser.parse_args([]).progress_interval == 10


def test_thresholds_stop_keys_become_locust_flags_every_one_of_them():
    assert stop_flags({"failure_ratio": 0.2, "no_success_s": 30.0}) == [
        "--stop-failure-ratio",
        "0.2",
        "--stop-no-success",
        "30",
    ]
    assert set(STOP_OPTIONS) == set(vars(RULES))
