"""What the console shows of Locust's output: status lines, warnings and errors; never its INFO chatter."""

import io

from loadtest.run.output import Console, LocustLine

STATUS_1 = "progress: 10s/60s users 10 requests 968 91.6 req/s failures 0.00% p95 8 ms"
STATUS_2 = "progress: 20s/60s users 10 requests 1,942 97.5 req/s failures 0.00% p95 7 ms"
OUTPUT = [
    "[2026-12-01 21:54:30,131] vm/INFO/locust.main: Starting Locust 2.47.0",
    "[2026-12-01 21:54:30,371] vm/INFO/locust.runners: All users spawned: {...} (10 total users)",
    f"[2026-12-01 21:54:40,370] vm/INFO/loadtest.user.status: {STATUS_1}",
    "[2026-12-01 21:54:41,000] vm/WARNING/locust.runners: CPU usage above 90%!",
    f"[2026-12-01 21:54:50,368] vm/INFO/loadtest.user.status: {STATUS_2}",
    "[2026-12-01 21:54:51,000] vm/ERROR/locust.user: a task failed",
    "Traceback (most recent call last):",
    '  File "tasks.py", line 1, in task',
    "[2026-12-01 21:54:54,345] vm/INFO/locust.main: --run-time limit reached, shutting down",
    "Type     Name      # reqs      # fails |    Avg     Min",
]


def shown(*, live: bool, lines: list[str] = OUTPUT, width: int = 200) -> str:
    stream = io.StringIO()
    console = Console(stream, live=live, width=width)
    for line in lines:
        console.show(LocustLine.parse(line + "\n"))
    console.close()
    return stream.getvalue()


def test_a_log_line_is_read_by_locusts_format():
    line = LocustLine.parse(f"[2026-12-01 21:54:40,370] vm/INFO/loadtest.user.status: {STATUS_1}\n")

    assert (line.level, line.logger, line.message) == ("INFO", "loadtest.user.status", STATUS_1)
    assert line.is_status
    table = LocustLine.parse("         Aggregated        2   2(100.00%) |      4\n")
    assert table.level is None and not table.is_status


def test_in_a_log_each_status_line_is_a_line_and_only_warnings_and_errors_join_them():
    assert shown(live=False) == "\n".join(
        [
            STATUS_1,
            OUTPUT[3],
            STATUS_2,
            OUTPUT[5],
            "Traceback (most recent call last):",
            '  File "tasks.py", line 1, in task',
            "",
        ]
    )


def test_in_a_log_there_is_never_a_carriage_return():
    assert "\r" not in shown(live=False)


def test_on_a_terminal_the_status_line_is_rewritten_in_place_and_other_lines_go_above_it():
    text = shown(live=True)

    assert text.startswith(f"\r\x1b[K{STATUS_1}\r\x1b[K{OUTPUT[3]}\n{STATUS_1}\r\x1b[K{STATUS_2}")
    assert text.endswith(f'  File "tasks.py", line 1, in task\n{STATUS_2}\n')
    assert "Starting Locust" not in text and "Aggregated" not in text


def test_the_live_line_is_cut_to_the_terminal_so_that_it_never_wraps():
    assert shown(live=True, lines=[OUTPUT[2]], width=20) == f"\r\x1b[K{STATUS_1[:20]}\n"


def test_what_locust_prints_before_its_log_starts_is_shown_a_usage_error():
    error = "locust: error: unrecognized arguments: --nope"

    assert shown(live=False, lines=[error, *OUTPUT[:2]]) == error + "\n"
