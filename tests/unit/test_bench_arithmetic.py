"""The benchmarks' arithmetic on synthetic numbers (windows, medians, ratios, bottlenecks), and the CPU
times they are computed from, read by psutil."""

import os

import psutil
import pytest

from tools.bench.capacity import bottleneck
from tools.bench.generator import SCENARIOS, Result, ratio, verdict
from tools.bench.measure import Sample, Window, window
from tools.bench.procstat import machine_busy_seconds, process_tree, tree_cpu

NEVER_A_PID = 2**22 + 1
"""Above Linux's largest pid_max (2^22): no process has it."""


def _burn(cpu_s: float) -> None:
    """Spend ``cpu_s`` of this process's CPU time (bounded by the CPU time itself, not the clock)."""
    start = psutil.Process().cpu_times()
    while sum(psutil.Process().cpu_times()[:2]) - sum(start[:2]) < cpu_s:
        sum(range(10_000))


def test_the_cpu_of_a_process_grows_as_it_works_and_a_gone_one_is_left_out():
    me = os.getpid()
    before = tree_cpu([me, NEVER_A_PID])
    busy = machine_busy_seconds()
    _burn(0.1)
    after = tree_cpu([me, NEVER_A_PID])
    assert set(before) == set(after) == {me}
    assert after[me] - before[me] >= 0.1
    # This process's work is the machine's too; /proc/stat may count it by sampling at each tick
    # (10 ms), not exactly as the process's own time: half is plenty to tell it from nothing.
    assert machine_busy_seconds() - busy >= 0.05


def test_a_process_tree_starts_with_the_process():
    assert process_tree(os.getpid())[0] == os.getpid()
    assert process_tree(NEVER_A_PID) == [NEVER_A_PID]


def test_a_window_is_the_difference_of_two_samples():
    first = Sample(
        at=10.0, served=1000, generator_cpu={1: 2.0, 2: 5.0, 3: 1.0}, target_cpu=3.0, machine_busy=20
    )
    last = Sample(at=15.0, served=6000, generator_cpu={1: 2.5, 2: 9.0}, target_cpu=6.0, machine_busy=29)
    measured = window(first, last)
    # Process 3 went away: it is left out rather than counted as negative CPU.
    assert measured.generator_processes == 2
    assert measured.requests == 5000 and measured.rate == 1000
    assert measured.generator_cpu_s == pytest.approx(4.5)
    assert measured.cpu_s_per_1000 == pytest.approx(0.9)
    assert measured.busiest_generator_util == pytest.approx(0.8)
    assert measured.target_util == pytest.approx(0.6)
    assert measured.machine_util == pytest.approx(1.8)
    assert measured.others_util == pytest.approx(0.3)


def win(*, requests=1000, gen=1.0, busiest=None, target=0.5, machine=0.0, seconds=1.0) -> Window:
    return Window(
        seconds=seconds,
        requests=requests,
        generator_cpu_s=gen,
        busiest_generator_cpu_s=gen if busiest is None else busiest,
        target_cpu_s=target,
        generator_processes=1,
        machine_busy_s=machine,
    )


def test_results_take_the_median_and_the_ratios_decide():
    full, bare, http = SCENARIOS
    results = {
        "a": Result(full, (win(gen=0.14), win(gen=0.13), win(gen=0.50))),
        "b": Result(bare, (win(gen=0.10), win(gen=0.09), win(gen=0.10))),
        "c": Result(http, (win(gen=0.40),)),
    }
    assert results["a"].cpu_s_per_1000 == pytest.approx(0.14)  # the outlier 0.50 does not count
    assert ratio(results, "a", "b") == pytest.approx(1.4)
    assert ratio(results, "c", "b") == pytest.approx(4.0)


@pytest.mark.parametrize(("full_over_bare", "expected"), [(1.2, "PASS"), (1.5, "PASS"), (1.51, "FAIL")])
def test_the_target_is_one_and_a_half_times_the_bare_loop(full_over_bare, expected):
    assert verdict(full_over_bare) == expected


@pytest.mark.parametrize(
    ("measured", "expected"),
    [
        (win(gen=0.5, target=0.95, machine=1.5), "stand-in CPU (95% of its one core)"),
        (win(gen=1.4, busiest=0.97, target=0.5, machine=1.9), "generator CPU (busiest Locust process at 97%"),
        (
            win(gen=0.8, target=0.6, machine=1.9),
            "the machine's 2 cores (190% busy; 50% of it other processes)",
        ),
        (win(gen=0.5, target=0.4, machine=1.0), "no CPU limit reached"),
    ],
)
def test_the_bottleneck_is_what_ran_out_first(measured, expected):
    assert bottleneck(measured, cores=2).startswith(expected)
