"""A base against a head in one real run (``run_tests.py --base-host``): two stand-in APIs on loopback.

The head answers one endpoint with HTTP 500 every time (an injected fault), the base never: the
paired verdict must name it whatever the machine's speed, since a status does not depend on timing.
"""

from __future__ import annotations

import json

import psutil
import pytest

from loadtest import bundle
from loadtest.sides import block_side
from tests.conftest import run_script
from tests.integration.conftest import API_KEY

pytestmark = pytest.mark.slow

BROKEN = "GET /api/dashboard/v2/search/"


def test_a_500_only_the_head_answers_fails_the_run_against_its_base(sandbox_factory, tmp_path):
    base = sandbox_factory(seed=1)
    head = sandbox_factory(seed=2, faults=[{"match": BROKEN, "error_rate": 1.0, "error_status": 500}])
    out = tmp_path / "ab"
    done = run_script(
        "run_tests.py",
        *("--headless", "-u", "4", "-t", "8s", "--seed", "3", "--out", out),
        *("--host", head, "--base-host", base, "--base-commit", "b" * 40),
        env={"LOADTEST_API_KEY": API_KEY},
    )
    assert done.returncode == 1, done.stdout + done.stderr

    facts = bundle.read_run_facts(out / bundle.RUN_FACTS)
    assert (facts.design, facts.base_host, facts.base_git_commit) == ("paired", base, "b" * 40)
    rows = bundle.read_results(out).endpoints
    sides = {bundle.split_side_row(name)[1] for name in rows if bundle.split_side_row(name)}
    assert sides == {"base", "head"}
    # The paired design sends every task to both sides: each endpoint has as many requests on each.
    for name in facts.endpoints:
        base_row, head_row = rows.get(bundle.side_row(name, "base")), rows.get(bundle.side_row(name, "head"))
        if base_row or head_row:
            assert base_row is not None and head_row is not None and base_row.requests == head_row.requests

    verdict = json.loads((out / bundle.VERDICT_JSON).read_text(encoding="utf-8"))
    assert (verdict["comparison"], verdict["base_git_commit"], verdict["design"]) == (
        "base",
        "b" * 40,
        "paired",
    )
    new_errors = [f for f in verdict["findings"] if f["source"].startswith("regression.base.new_error")]
    assert [(f["scope"], f["level"]) for f in new_errors] == [(BROKEN, "fail")]
    assert verdict["headline"].startswith(f"FAIL: {BROKEN}: HTTP 500 on the head ")


def test_nothing_the_run_started_is_left_running(sandbox_factory, tmp_path):
    base, head = sandbox_factory(seed=1), sandbox_factory(seed=2)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    done = run_script(
        "run_tests.py",
        *("--headless", "-u", "2", "-t", "3s", "--out", tmp_path / "ab", "--host", head, "--base-host", base),
        *("--design", "blocks", "--block-s", "1", "--no-gate"),
        env={"LOADTEST_API_KEY": API_KEY},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert {p.pid for p in psutil.Process().children(recursive=True)} == before
    assert bundle.read_run_facts(tmp_path / "ab" / bundle.RUN_FACTS).design == "blocks"
    # Which blocks a busy machine reaches in 3 s varies; that each went to its side does not.
    rows = bundle.read_results(tmp_path / "ab").endpoints
    blocks = [bundle.split_side_row(name)[1:] for name in rows if bundle.split_side_row(name)]
    assert ("base", 0) in blocks
    assert all(side == block_side(block) for side, block in blocks if block is not None)
