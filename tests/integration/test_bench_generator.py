"""``python -m tools bench-generator``: its table, ratio and verdict follow from the windows it measured, the
requests it counts are ones Locust sent, and a run it cannot make is exit 2 with one line.

No figure is held to a target (these machines are noisy): one short run is read back against itself.
"""

import re

import pytest

from tests.conftest import run_tools
from tools.bench.generator import TARGET_RATIO

pytestmark = pytest.mark.slow

USERS = 10
PROGRESS = re.compile(
    r"^  run 1/1 \((?P<key>[abc])\): (?P<requests>\d+) requests, (?P<cpu>[\d.]+) CPU s/1000$"
)
ROW = re.compile(r"^\((?P<key>[abc])\) .+? (?P<cpu>\d+\.\d{3}) +(?P<low>\d+\.\d{3})\.\.(?P<high>\d+\.\d{3}) ")
RATIO = re.compile(
    r"^\(a\)/\(b\) full locustfile / bare FastHttpUser = (?P<ratio>[\d.]+) .*: (?P<verdict>\w+)$"
)
LOCUST_TOTAL = re.compile(r"^ +Aggregated +(\d+) +\d+\([\d.]+%\)", re.MULTILINE)
"""The request count of Locust's own closing table (the stats one, not the percentiles one)."""


def matches(pattern: re.Pattern, text: str) -> dict[str, re.Match]:
    """The lines of ``text`` that ``pattern`` matches, by their ``key`` group (or all under "")."""
    found = [m for m in map(pattern.match, text.splitlines()) if m]
    return {m.groupdict().get("key", ""): m for m in found}


@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    """One run of each scenario: 2 measured seconds, 10 users, Locust's output kept."""
    logs = tmp_path_factory.mktemp("bench-generator-logs")
    proc = run_tools(
        "bench-generator", "--duration", "2", "--users", str(USERS), "--repeat", "1", "--keep-logs", logs
    )
    return proc, logs


def test_the_table_shows_each_scenarios_one_window(short_run):
    proc, _ = short_run
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    progress, rows = matches(PROGRESS, proc.stdout), matches(ROW, proc.stdout)

    assert set(progress) == set(rows) == {"a", "b", "c"}
    # One window each: its CPU per 1,000 requests is the median, the minimum and the maximum.
    for key, row in rows.items():
        assert row["cpu"] == row["low"] == row["high"] == progress[key]["cpu"], row.string


def test_the_ratio_and_the_verdict_follow_from_the_rows_it_prints(short_run):
    proc, _ = short_run
    rows = {key: float(m["cpu"]) for key, m in matches(ROW, proc.stdout).items()}
    (line,) = matches(RATIO, proc.stdout).values()
    printed = float(line["ratio"])

    # The rows are rounded to 3 decimals and the ratio to 2: it lies within what that rounding allows.
    low, high = (rows["a"] - 5e-4) / (rows["b"] + 5e-4), (rows["a"] + 5e-4) / (rows["b"] - 5e-4)
    assert low - 5e-3 <= printed <= high + 5e-3, line.string
    assert line["verdict"] == ("PASS" if proc.returncode == 0 else "FAIL")
    if abs(printed - TARGET_RATIO) > 5e-3:  # clear of the rounding, the printed ratio decides
        assert line["verdict"] == ("PASS" if printed <= TARGET_RATIO else "FAIL")


def test_the_requests_it_counts_are_ones_locust_sent(short_run):
    proc, logs = short_run
    progress = matches(PROGRESS, proc.stdout)

    for key in "abc":
        counted = int(progress[key]["requests"])
        totals = LOCUST_TOTAL.findall((logs / f"{key}-1.log").read_text(encoding="utf-8"))
        assert totals, f"Locust's closing table is missing from {key}-1.log"
        sent = int(totals[0])
        # The stand-in's own count over the window: requests served, all of them sent by this Locust
        # (which also sent some before and after the window); at most one a user still in flight.
        assert 0 < counted <= sent + USERS, (key, counted, sent)


def test_a_locust_that_fails_to_start_is_exit_2_with_one_line(tmp_path):
    # A `locust` package first on PYTHONPATH that exits at once; nothing else the benchmark runs imports it.
    fake = tmp_path / "fake-locust" / "locust"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text("import sys\nsys.exit('locust: cannot start')\n")
    logs = tmp_path / "logs"

    proc = run_tools(
        "bench-generator", "--duration", "1", "--repeat", "1", "--keep-logs", logs,
        env={"PYTHONPATH": str(fake.parent)},
    )  # fmt: skip

    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr == (
        "python -m tools bench-generator: error: Locust exited with code 1 before sending load "
        f"(Locust output in {logs})\n"
    )
    assert "locust: cannot start" in (logs / "a-1.log").read_text(encoding="utf-8")
