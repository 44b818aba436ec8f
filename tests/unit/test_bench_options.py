"""The benchmark commands refuse a count that is not positive with exit 2, before they start anything."""

import pytest

from tools.cli import bench_generator, bench_sandbox


@pytest.mark.parametrize("option", ["--duration", "--users", "--repeat"])
def test_bench_generator_refuses_a_count_that_is_not_positive(option, call_main):
    done = call_main(bench_generator.main, option, "0")

    assert done.returncode == 2
    assert done.stdout == ""
    assert (
        done.stderr == "python -m tools bench-generator: --duration, --users and --repeat must be positive\n"
    )


@pytest.mark.parametrize("option", ["--duration", "--rounds"])
def test_bench_sandbox_refuses_a_count_that_is_not_positive(option, call_main):
    done = call_main(bench_sandbox.main, option, "0")

    assert done.returncode == 2
    assert done.stdout == ""
    error = "python -m tools bench-sandbox: error: --duration and --rounds must be at least 1"
    assert done.stderr == f"{error} (see --help)\n"
