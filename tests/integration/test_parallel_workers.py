"""tests/parallel.py at work under `pytest -n 2`: a small suite of the same three tiers, run by real
pytest-xdist workers with this suite's hooks, records where and when each test ran.

Each test writes its worker and its start and end on the system's monotonic clock (one clock for every
process); what is checked is order (which worker, which intervals overlap), never a duration.
"""

import json
import sys
import textwrap

import pytest

from tests.conftest import ROOT, run_command

pytestmark = pytest.mark.slow

RECORD = """\
import json, os, time, pytest

def record(name, hold_s=0.5):
    start = time.monotonic()
    time.sleep(hold_s)  # long enough that the other worker's tests run meanwhile unless kept out
    worker, end = os.environ["PYTEST_XDIST_WORKER"], time.monotonic()
    entry = {"name": name, "worker": worker, "start": start, "end": end}
    with open(os.environ["RECORDS"], "a") as out:
        out.write(json.dumps(entry) + "\\n")
"""
SUITE = {
    "conftest.py": "from tests.conftest import pytest_runtest_protocol, pytest_xdist_make_scheduler\n"
    + "from tests import parallel\nparallel.GROUPS['tests/grouped/'] = 'g'\n",
    "pytest.ini": "[pytest]\nmarkers =\n    slow: x\n    alone: x\naddopts = -p no:cacheprovider\n",
    "record.py": RECORD,
    "tests/unit/test_u.py": "from record import record\n"
    + "".join(f"def test_u{i}():\n    record('u{i}')\n" for i in range(6)),
    "tests/integration/test_m.py": "import pytest\nfrom record import record\npytestmark = pytest.mark.slow\n"
    + "".join(f"def test_m{i}():\n    record('m{i}')\n" for i in range(3))
    + "@pytest.mark.alone\ndef test_alone():\n    record('alone')\n",
    "tests/grouped/test_a.py": "from record import record\ndef test_a():\n    record('a')\n",
    "tests/grouped/test_b.py": "from record import record\ndef test_b():\n    record('b')\n",
}


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> dict[str, dict]:
    suite = tmp_path_factory.mktemp("suite")
    for name, text in SUITE.items():
        (suite / name).parent.mkdir(parents=True, exist_ok=True)
        (suite / name).write_text(textwrap.dedent(text), encoding="utf-8")
    out = suite / "records.jsonl"
    env = {"PYTHONPATH": f"{ROOT}:{suite}", "RECORDS": str(out)}
    done = run_command(sys.executable, "-m", "pytest", "-n", "2", "-q", cwd=suite, env=env, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return {entry["name"]: entry for entry in map(json.loads, out.read_text().splitlines())}


def test_a_slow_module_runs_whole_on_one_worker_and_a_group_on_one_worker(records):
    assert len({records[name]["worker"] for name in ("m0", "m1", "m2", "alone")}) == 1
    assert records["a"]["worker"] == records["b"]["worker"]
    assert len({entry["worker"] for entry in records.values()}) == 2, "both workers ran tests"


def test_no_test_runs_while_an_alone_test_does(records):
    alone = records["alone"]
    overlapping = [
        name
        for name, entry in records.items()
        if name != "alone" and entry["start"] < alone["end"] and alone["start"] < entry["end"]
    ]
    assert overlapping == []
