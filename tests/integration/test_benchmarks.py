"""The benchmark scripts run end to end in short form and print their tables and ratios.

The figures themselves are never asserted (these machines are noisy): only that each
benchmark measured something and reported it in the shape the README quotes.
"""

import re

import pytest

from tests.conftest import run_script

pytestmark = pytest.mark.slow


def test_bench_sandbox_prints_both_targets_and_the_ratio(tmp_path):
    proc = run_script(
        "bench_sandbox.py", "--duration", "1", "--rounds", "1", "--json", str(tmp_path / "b.json")
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr  # 1 = targets missed on a busy machine
    assert re.search(r"hello-world \(bare gevent pywsgi\)\s+[\d,]+\s+[\d.]+", proc.stdout)
    assert re.search(r"sandbox GET /api/dashboard/\s+[\d,]+\s+[\d.]+", proc.stdout)
    assert re.search(r"ratio sandbox / hello-world\s+\d+\.\d+", proc.stdout)
    assert (tmp_path / "b.json").is_file()


def test_bench_generator_prints_cpu_per_request_and_the_ratios():
    proc = run_script("bench_generator.py", "--duration", "2", "--users", "10", "--repeat", "1")
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    for scenario in ("(a) full locustfile", "(b) bare FastHttpUser", "(c) bare HttpUser"):
        assert re.search(re.escape(scenario) + r".*?\s0\.\d+\s", proc.stdout), scenario
    assert re.search(r"\(a\)/\(b\) full locustfile / bare FastHttpUser = \d+\.\d+", proc.stdout)
