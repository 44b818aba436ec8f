"""The act rehearsal of the nightly (tests/e2e/test_workflows_act.py) cannot fail by chance: its three
nights' long histories (tests/synthetic_history.py, rehearsal_nights) give the same answer whatever
tonight's real run on a busy machine appends to them.

Tonight's run is no synthetic night: a 6 s run of the stand-in on a shared machine may be ten times
slower or faster, on every endpoint or on one, with failures, or without some endpoints. Each such
night is appended here to each night's history, and the answer the rehearsal asserts must hold:
nights 1 and 2, the step's change point alone, in force and in the summary's 30 days, with its
commit range; night 3, nothing in force (the issue is closed).
"""

from datetime import UTC, datetime, timedelta

import pytest

from loadtest.bundle import AGGREGATE
from loadtest.changes.detect import find_changes, recent
from loadtest.changes.rules import change_rules
from loadtest.gate.long_history import LongHistory, LongRun
from loadtest.gate.thresholds import load_thresholds
from loadtest.github.nightly_issue import active
from tests.synthetic_history import (
    REHEARSAL_SEED,
    REHEARSAL_STEP,
    STEP_ENDPOINT,
    commit_of,
    rehearsal_nights,
)

RULES = change_rules(load_thresholds())
TONIGHT = datetime(2026, 12, 7, 19, 30, tzinfo=UTC)


def tonight(history: LongHistory, factor, *, failure_ratio: float = 0.0, only=None) -> LongRun:
    """The history's last night again as tonight's run, each row's latencies times ``factor(row)``."""
    last = history.runs[-1]
    rows = {
        name: (*(v * factor(name) for v in values[:4]), values[4], failure_ratio)
        for name, values in last.rows.items()
        if only is None or name in only
    }
    return LongRun(
        commit="f" * 40,
        ended_at=(TONIGHT + timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        preset=last.preset,
        target=last.target,
        rows=rows,
    )


NIGHTS = {
    "none": None,
    "as the history": dict(factor=lambda name: 1.0),
    "ten times slower": dict(factor=lambda name: 10.0),
    "ten times faster": dict(factor=lambda name: 0.1),
    "the step's endpoint slower": dict(factor=lambda name: 10.0 if name == STEP_ENDPOINT else 1.0),
    "the step's endpoint faster": dict(factor=lambda name: 0.1 if name == STEP_ENDPOINT else 1.0),
    "the others slower": dict(factor=lambda name: 1.0 if name == STEP_ENDPOINT else 10.0),
    "every request failed": dict(factor=lambda name: 1.0, failure_ratio=1.0),
    "the aggregate alone": dict(factor=lambda name: 3.0, only={AGGREGATE}),
    "without the step's endpoint": dict(
        factor=lambda name: 2.0, only={AGGREGATE, "GET /api/ai-assistant/library/"}
    ),
}


@pytest.fixture(scope="module")
def nights():
    return rehearsal_nights(tonight=TONIGHT)


def searched(history: LongHistory, night: str):
    if NIGHTS[night] is not None:
        history = history.rolled(tonight(history, **NIGHTS[night]))
    points = find_changes(history, RULES)
    return points, recent(points, history, RULES.recent_days)


@pytest.mark.parametrize("night", NIGHTS)
@pytest.mark.parametrize("which", [0, 1])
def test_the_step_alone_is_in_force_and_recent_on_the_first_two_nights(nights, which, night):
    points, shown = searched(nights[which], night)
    (step,) = points
    assert shown == [step] and active(points) == [step]
    assert (step.endpoint, step.metric, step.run_index) == (STEP_ENDPOINT, "typical", REHEARSAL_STEP.start)
    assert step.last_before.commit == commit_of(REHEARSAL_SEED, REHEARSAL_STEP.start - 1)
    assert step.first_after.commit == commit_of(REHEARSAL_SEED, REHEARSAL_STEP.start)
    assert 0.4 < step.change < 0.6


@pytest.mark.parametrize("night", NIGHTS)
def test_on_the_third_night_the_series_has_returned_and_nothing_is_in_force(nights, night):
    points, _ = searched(nights[2], night)
    assert {(p.endpoint, p.metric) for p in points} == {(STEP_ENDPOINT, "typical")}
    assert sorted(p.worse for p in points) == [False, True]
    assert active(points) == []


def test_the_nights_end_the_night_before_and_the_step_is_inside_the_summarys_days(nights):
    for history in nights:
        assert history.runs[-1].ended_at == (TONIGHT - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    step_night = datetime.fromisoformat(nights[0].runs[REHEARSAL_STEP.start].ended_at)
    assert TONIGHT - step_night < timedelta(days=RULES.recent_days - 10)
    assert nights[1].runs[:-1] != nights[0].runs  # one night later: the same nights, a day earlier
    assert [run.rows for run in nights[1].runs[:-1]] == [run.rows for run in nights[0].runs]
