"""A results bundle, baseline and thresholds.json written by a hostile pull request: exit 2 and one line,
never a traceback, never a verdict changed by malformed numbers.

The issue's ten traceback inputs on the gate's side (superscript digits in a count, a CSV field over
131,072 characters, JSON nested 100,000 deep and a 5,000-digit integer in each of locust.json,
run.json, history.json and thresholds.json) each have a case here; the comment artifact's two are in
tests/integration/test_hostile_comment.py.
"""

import json
import re
import shutil
from pathlib import Path

import pytest

from loadtest.bundle import FAILURES_CSV, HISTOGRAMS_JSON, RUN_FACTS, STATS_CSV, read_results
from loadtest.cli import compare as compare_command
from loadtest.cli import record_baseline as record_command
from tests.conftest import GATE_FIXTURES
from tests.github_markdown import rendered

THRESHOLDS = json.loads((GATE_FIXTURES / "thresholds.json").read_text())
HISTORY_RULE = {
    "min_runs": 3,
    "warn": {"false_alarm_rate": 0.05, "relative": 0.05, "absolute_ms": 10},
    "fail": {"false_alarm_rate": 0.03, "relative": 0.10, "absolute_ms": 25},
}
DEEP = "[" * 100_000 + "]" * 100_000
HUGE = "1" + "0" * 4_999
"""A 5,000-digit integer: Python's int() refuses over 4,300 digits with a ValueError of its own."""


def histogram_entry(method: str, name: str, requests: int, failures: int) -> dict:
    return {
        "name": name,
        "method": method,
        "start_time": 1795606819.0,
        "last_request_timestamp": 1795606879.0,
        "num_requests": requests,
        "num_none_requests": 0,
        "num_failures": failures,
        "total_response_time": 40.0 * requests,
        "max_response_time": 120.0,
        "response_times": {"40": requests},
    }


@pytest.fixture
def run(tmp_path) -> Path:
    """The passing fixture run as a bundle with a locust.json, counts as in its stats CSV."""
    bundle = tmp_path / "run"
    shutil.copytree(GATE_FIXTURES / "pass", bundle)
    entries = []
    for line in (bundle / STATS_CSV).read_text().splitlines()[1:-1]:
        method, name, requests, failures = line.split(",")[:4]
        entries.append(histogram_entry(method, name, int(requests), int(failures)))
    (bundle / HISTOGRAMS_JSON).write_text(json.dumps(entries))
    return bundle


@pytest.fixture
def baseline(tmp_path, run) -> Path:
    """A baseline bundle of the same run, with a history.json of three runs."""
    folder = tmp_path / "baseline"
    shutil.copytree(run, folder)
    rows = {"GET /api/dashboard/": {"requests": 118, "failures": 0, "p95": 72, "histogram": [40, 118]}}
    history = {"schema": 1, "keep": 20, "runs": [{"preset": "smoke", "users": 10, "rows": rows}] * 3}
    (folder / "history.json").write_text(json.dumps(history))
    return folder


@pytest.fixture
def thresholds(tmp_path) -> Path:
    """The fixture thresholds, with the history rule on so that the baseline's history.json is read."""
    path = tmp_path / "thresholds.json"
    document = json.loads(json.dumps(THRESHOLDS))
    document.pop("$schema")
    document["regression"]["history"] = HISTORY_RULE
    path.write_text(json.dumps(document, indent=2))
    return path


@pytest.fixture
def compare(call_main, run, baseline, thresholds):
    """compare on the run against the baseline: exit code, stdout, stderr."""
    return lambda: call_main(compare_command.main, run, "--baseline", baseline, "--thresholds", thresholds)


def assert_one_clean_line(result, *fragments: str) -> None:
    assert result.returncode == 2, result.stdout[-500:] + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert len(result.stderr) < 2_500
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_hostile_fixtures_start_from_a_clean_verdict(compare):
    assert compare().returncode == 0


TRACEBACK_INPUTS = {
    "superscript-digits-in-a-count": (
        lambda run, base, th: replace_in(
            run / STATS_CSV, "GET,/api/dashboard/,1180,", "GET,/api/dashboard/,11²,"
        ),
        ["locust_stats.csv: line 2: column 'Request Count' must be a whole number, got '11²'"],
    ),
    "csv-field-over-131072-characters": (
        lambda run, base, th: replace_in(run / STATS_CSV, "/api/dashboard/", "/api/" + "x" * 140_000 + "/"),
        ["locust_stats.csv: line 2: not a Locust stats CSV: field larger than field limit"],
    ),
    "locust.json-nested-100000-deep": (
        lambda run, base, th: (run / HISTOGRAMS_JSON).write_text(DEEP),
        ["locust.json: line 1: nested deeper than 32 levels"],
    ),
    "run.json-nested-100000-deep": (
        lambda run, base, th: (run / RUN_FACTS).write_text('{"preset": ' + DEEP + "}"),
        ["run.json: line 1: nested deeper than 32 levels"],
    ),
    "history.json-nested-100000-deep": (
        lambda run, base, th: (base / "history.json").write_text('{"schema": 1, "runs": ' + DEEP + "}"),
        ["baseline: ", "history.json: line 1: nested deeper than 32 levels"],
    ),
    "thresholds.json-nested-100000-deep": (
        lambda run, base, th: th.write_text('{"defaults": ' + DEEP + "}"),
        ["thresholds.json: line 1: nested deeper than 32 levels"],
    ),
    "locust.json-5000-digit-integer": (
        lambda run, base, th: replace_in(
            run / HISTOGRAMS_JSON, '"num_requests": 1180,', f'"num_requests": {HUGE},'
        ),
        ["locust.json: line 1: an integer of 5,000 digits is out of range (at most 20)"],
    ),
    "run.json-5000-digit-integer": (
        lambda run, base, th: replace_in(run / RUN_FACTS, '"users": 10', f'"users": {HUGE}'),
        ["run.json: line 4: an integer of 5,000 digits is out of range"],
    ),
    "history.json-5000-digit-integer": (
        lambda run, base, th: replace_in(base / "history.json", '"keep": 20', f'"keep": {HUGE}'),
        ["history.json: line 1: an integer of 5,000 digits is out of range"],
    ),
    "thresholds.json-5000-digit-integer": (
        lambda run, base, th: replace_in(th, '"p95": 500', f'"p95": {HUGE}'),
        ["thresholds.json: line ", ": an integer of 5,000 digits is out of range"],
    ),
}


@pytest.mark.parametrize(("spoil", "fragments"), TRACEBACK_INPUTS.values(), ids=TRACEBACK_INPUTS.keys())
def test_an_input_that_used_to_give_a_traceback_is_one_line_and_exit_2(
    spoil, fragments, compare, run, baseline, thresholds
):
    spoil(run, baseline, thresholds)

    assert_one_clean_line(compare(), *fragments)


@pytest.mark.parametrize("spoiled", ["deep", "huge"])
def test_record_baseline_refuses_the_same_history_json_in_one_line(
    spoiled, call_main, run, baseline, tmp_path
):
    history = baseline / "history.json"
    history.write_text('{"schema": 1, "runs": ' + DEEP + "}" if spoiled == "deep" else f'{{"keep": {HUGE}}}')

    result = call_main(
        record_command.main, run, "--previous", baseline, "--out", tmp_path / "next", "--keep", 5
    )

    assert_one_clean_line(result, "history.json: line 1: ")
    assert not (tmp_path / "next").exists()


NOT_FINITE_THRESHOLDS = {
    "nan-p95": ('"p95": 500', '"p95": NaN', "NaN is not a number: every number must be finite"),
    "nan-failure-ratio": (
        '"value": 0.02',
        '"value": NaN',
        "NaN is not a number",
    ),
    "infinity": ('"p95": 500', '"p95": Infinity', "Infinity is not a number"),
    "minus-infinity": ('"p95": 500', '"p95": -Infinity', "-Infinity is not a number"),
    "overflow-to-infinity": ('"p95": 500', '"p95": 1e400', "1e400 is out of range"),
    "out-of-range-ms": ('"p95": 500', '"p95": 1e20', "is greater than the maximum of 86400000"),
    "out-of-range-relative": ('"relative": 0.15', '"relative": 1e300', "is greater than the maximum of 100"),
}


@pytest.mark.parametrize(
    ("old", "new", "message"), NOT_FINITE_THRESHOLDS.values(), ids=NOT_FINITE_THRESHOLDS.keys()
)
def test_thresholds_that_would_turn_a_limit_off_are_refused(
    old, new, message, call_main, tmp_path, thresholds
):
    """NaN passes jsonschema's minimum (NaN < 0 is false) and no observed value is above it."""
    slow = tmp_path / "slow"
    shutil.copytree(GATE_FIXTURES / "pass", slow)
    replace_in(
        slow / STATS_CSV,
        "GET,/api/dashboard/,1180,0,41,45.100,13,125,120.0,19.7000,0.0000,41,47,52,56,66,72,",
        "GET,/api/dashboard/,1180,1180,41,45.100,13,99999,120.0,19.7000,0.0000,41,47,52,56,66,99999,",
    )
    assert call_main(compare_command.main, slow, "--thresholds", thresholds).returncode == 1
    replace_in(thresholds, old, new)

    result = call_main(compare_command.main, slow, "--thresholds", thresholds)

    assert_one_clean_line(result, "thresholds.json", message)


NOT_FINITE_BUNDLES = {
    "run.json-nan": (
        RUN_FACTS,
        '"spawn_rate": 10.0',
        '"spawn_rate": NaN',
        "run.json: line 5: NaN is not a number",
    ),
    "run.json-too-large": (
        RUN_FACTS,
        '"run_time_s": 60.0',
        '"run_time_s": 1e300',
        "field 'run_time_s' must be a finite number >= 0",
    ),
    "locust.json-infinity": (
        HISTOGRAMS_JSON,
        '"total_response_time": 47200.0',
        '"total_response_time": Infinity',
        "Infinity is not a number",
    ),
    "locust.json-bucket": (
        HISTOGRAMS_JSON,
        '"response_times": {"40"',
        '"response_times": {"4_0"',
        "bad bucket '4_0'",
    ),
    "locust.json-negative-count": (
        HISTOGRAMS_JSON,
        '"num_failures": 0',
        '"num_failures": -1',
        "'num_failures' must be a whole number",
    ),
    "csv-nan": (
        STATS_CSV,
        "19.7000,0.0000,41",
        "nan,0.0000,41",
        "column 'Requests/s' must be a finite number >= 0, got 'nan'",
    ),
    "csv-inf": (
        STATS_CSV,
        "19.7000,0.0000,41",
        "inf,0.0000,41",
        "column 'Requests/s' must be a finite number >= 0",
    ),
    "csv-overflow": (
        STATS_CSV,
        "19.7000,0.0000,41",
        "1e999,0.0000,41",
        "column 'Requests/s' is out of range: '1e999'",
    ),
    "csv-fullwidth-digits": (
        STATS_CSV,
        "GET,/api/dashboard/,1180,",
        "GET,/api/dashboard/,１１８,",
        "must be a whole number, got '１１８'",
    ),
    "csv-underscore-number": (
        STATS_CSV,
        "19.7000,0.0000,41",
        "1_9,0.0000,41",
        "column 'Requests/s' is not a number: '1_9'",
    ),
    "csv-negative": (
        STATS_CSV,
        "19.7000,0.0000,41",
        "-1,0.0000,41",
        "must be a finite number >= 0, got '-1'",
    ),
    "csv-too-many-digits": (
        STATS_CSV,
        "GET,/api/dashboard/,1180,",
        "GET,/api/dashboard/,1" + "0" * 20 + ",",
        "must be a whole number",
    ),
    "failures-csv-nul": (
        FAILURES_CSV,
        "Method,Name",
        "Method\x00,Name",
        "locust_failures.csv: line 1: not a Locust failures CSV",
    ),
}


@pytest.mark.parametrize(
    ("file", "old", "new", "message"), NOT_FINITE_BUNDLES.values(), ids=NOT_FINITE_BUNDLES.keys()
)
def test_a_bundle_with_numbers_that_are_not_finite_or_not_ascii_is_refused(
    file, old, new, message, compare, run
):
    replace_in(run / file, old, new)

    assert_one_clean_line(compare(), message)


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_history_json_with_a_number_that_is_not_finite_is_refused(number, compare, baseline):
    """A NaN in the history would make every band NaN, and nothing is outside a NaN band."""
    replace_in(baseline / "history.json", '"p95": 72', f'"p95": {number}')

    assert_one_clean_line(compare(), "history.json: line 1: ", f"{number} is ")


def test_a_file_over_its_size_cap_is_refused_before_it_is_read(compare, run):
    facts = json.loads((run / RUN_FACTS).read_text())
    facts["endpoints"] += ["GET /api/x/"] * 100_000
    (run / RUN_FACTS).write_text(json.dumps(facts))

    assert_one_clean_line(compare(), "run.json: 1,", "bytes, more than the 1,048,576 this file may have")


def test_a_stats_csv_counting_more_failures_than_locust_json_fails_the_run_with_a_note(
    call_main, tmp_path, run
):
    """The issue's case: 311 of 311 requests failed in the CSV, 0 in locust.json: the larger is judged."""
    replace_in(
        run / STATS_CSV,
        "POST,/api/help-center/contact-us/,310,0,",
        "POST,/api/help-center/contact-us/,311,311,",
    )
    replace_in(run / STATS_CSV, ",Aggregated,2400,0,", ",Aggregated,2401,311,")
    entries = json.loads((run / HISTOGRAMS_JSON).read_text())
    entries[-1].update(num_requests=311, response_times={"40": 311})
    (run / HISTOGRAMS_JSON).write_text(json.dumps(entries))

    result = call_main(compare_command.main, run, "--thresholds", GATE_FIXTURES / "thresholds.json")

    assert result.returncode == 1, result.stderr
    contact = read_results(run).endpoints["POST /api/help-center/contact-us/"]
    assert (contact.requests, contact.failures) == (311, 311)
    assert (
        "`POST /api/help-center/contact-us/`: 311 requests and 311 failures in the stats CSV, 311 and 0 in "
        "locust.json: the larger counts are judged." in result.stdout
    )
    assert "The aggregate: 2,401 requests and 311 failures in the stats CSV, 2,401 and 0 in" in result.stdout
    violation = (
        "| ❌ | `POST /api/help-center/contact-us/` | failure ratio¹ | "
        "100.00% (95% interval 98.78%–100.00% from 311 requests) | – | – | ≤ 2.00% |"
    )
    assert violation in " ".join(result.stdout.split())


def test_a_stats_csv_that_lags_locust_json_is_normal_and_silent(run):
    """Locust writes the CSV once a second: at the end of a run it may count fewer than locust.json."""
    replace_in(run / STATS_CSV, "GET,/api/dashboard/,1180,", "GET,/api/dashboard/,100,")
    entries = json.loads((run / HISTOGRAMS_JSON).read_text())
    entries[0].update(num_failures=3)
    (run / HISTOGRAMS_JSON).write_text(json.dumps(entries))

    results = read_results(run)

    dashboard = results.endpoints["GET /api/dashboard/"]
    assert (dashboard.requests, dashboard.failures) == (1180, 3)
    assert results.notes == ()


def test_a_row_only_the_stats_csv_has_is_judged_too(run):
    entries = json.loads((run / HISTOGRAMS_JSON).read_text())
    (run / HISTOGRAMS_JSON).write_text(json.dumps(entries[:-1]))

    results = read_results(run)

    assert results.endpoints["POST /api/help-center/contact-us/"].requests == 310
    assert results.notes == (
        "`POST /api/help-center/contact-us/`: 310 requests in the stats CSV, none in locust.json: "
        "the CSV's row is judged.",
        "The aggregate: 2,400 requests and 0 failures in the stats CSV, 2,090 and 0 in locust.json: "
        "the larger counts are judged.",
    )


HOSTILE_NAME = "/api/x/\n::error title=forged::the gate passed @octocat `#1` ##[group]"
HOSTILE_ERROR = (
    "HTTPError('::add-mask::secret\\n::warning::forged') ##[set-env name=A;]1 <img src=x> @org/team"
)


def test_hostile_names_and_facts_make_no_workflow_command_on_compares_stdout(call_main, run, tmp_path):
    """A newline in an endpoint name or in run.json's preset must not start a line with ``::``."""
    replace_in(run / STATS_CSV, "GET,/api/dashboard/,1180,0", f'GET,"{HOSTILE_NAME}",1180,1180')
    (run / HISTOGRAMS_JSON).unlink()
    header = "Method,Name,Error,Occurrences,First Seen,Last Seen"
    (run / FAILURES_CSV).write_text(f'{header}\nGET,"{HOSTILE_NAME}","{HOSTILE_ERROR}",1180,x,y\n')
    facts = json.loads((run / RUN_FACTS).read_text())
    facts |= {"preset": "smoke\n::add-mask::x", "profile": "none`@octocat", "git_commit": "::error::x"}
    (run / RUN_FACTS).write_text(json.dumps(facts))
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "s"),
        "GITHUB_OUTPUT": str(tmp_path / "o"),
    }

    result = call_main(compare_command.main, run, "--thresholds", GATE_FIXTURES / "thresholds.json", env=env)

    assert result.returncode == 1, result.stderr
    commands = [line for line in result.stdout.splitlines() if line.lstrip().startswith("::")]
    annotation = re.compile(r"::(error|warning) title=[^:]*::(?!.*::).*")
    assert commands and all(annotation.fullmatch(line) for line in commands), commands
    assert "##[" not in result.stdout + result.stderr
    page = rendered(result.stdout.split("\n::")[0])
    # Our two headings (the headline and the notes), none from the name.
    assert (
        page.tags.count("h4") == 2 and page.live() == [] and "img" not in page.tags and "a" not in page.tags
    )
    assert "GET /api/x/\\n:\u2060:error title=forged:\u2060:the gate passed" in page.text


@pytest.mark.parametrize("cell", ["1.9300321000021843", "0.00012345678901234567", "1e-05", "12", "3.5E+02"])
def test_numbers_as_locust_writes_them_are_read(cell, run):
    replace_in(
        run / STATS_CSV, "GET,/api/dashboard/,1180,0,41,45.100,", f"GET,/api/dashboard/,1180,0,41,{cell},"
    )

    assert read_results(run).endpoints["GET /api/dashboard/"].requests == 1180
