"""The change-point measurement of docs/changes.md, on the synthetic nightly histories of the tests
(tests/synthetic_history.py), on seeds of one's choice::

    python -m tests.measure_changes --null 201-220 --step 11-30 --creep 31-50
    python -m tests.measure_changes --null 201-220 --otava-as-is     # Otava 0.8.0's own pipeline
    python -m tests.measure_changes --null 301-310 --runs 400        # the detector's time at 400 runs
    python -m tests.measure_changes --null 201-220 --max-pvalue 0.001 --min-segment-runs 3

A step is +8% on one endpoint from run 200, found when a change point of that endpoint is within
3 runs of it; a creep is +15% over runs 150-249, reported when any change point of that endpoint
falls in it; every other change point is false. ``--otava-as-is`` runs Otava's
compute_change_points on each series as measured, at the same p-value and magnitude, without the
search's additions (loadtest/changes/detect.py).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

from loadtest.changes.detect import find_changes
from loadtest.changes.rules import change_rules
from loadtest.gate.long_history import LongHistory
from loadtest.gate.thresholds import load_thresholds
from tests.synthetic_history import STEP_ENDPOINT, Effect, nightly_history

EFFECTS = {
    "null": None,
    "step": Effect(size=0.08, start=200),
    "creep": Effect(size=0.15, start=150, over=100),
}


def seeds(text: str) -> range:
    first, _, last = text.partition("-")
    return range(int(first), int(last or first) + 1)


def otava_as_is(history: LongHistory, rules) -> list[tuple[str, int]]:
    from otava.analysis import compute_change_points

    found = []
    names = dict.fromkeys(name for run in history.runs for name in run.rows)
    for name in names:
        for metric in ("typical", "failure_ratio"):
            values = [v for run in history.runs if (v := run.value(name, metric)) is not None]
            if len(set(values)) < 2:
                continue
            points, _ = compute_change_points(
                values, max_pvalue=rules.max_pvalue, min_magnitude=rules.min_magnitude
            )
            found += [(name, int(point.index)) for point in points]
    return found


def measure(kind: str, numbers: range, rules, *, as_is: bool, runs: int = 300) -> str:
    found = false = histories_with_false = 0
    spent = 0.0
    for seed in numbers:
        history = nightly_history(seed, runs=runs, effect=EFFECTS[kind])
        started = time.perf_counter()
        if as_is:
            points = otava_as_is(history, rules)
        else:
            points = [(p.endpoint, p.run_index) for p in find_changes(history, rules)]
        spent += time.perf_counter() - started
        if kind == "step":
            hits = [p for p in points if p[0] == STEP_ENDPOINT and abs(p[1] - 200) <= 3]
        elif kind == "creep":
            hits = [p for p in points if p[0] == STEP_ENDPOINT and 150 <= p[1] <= 250]
        else:
            hits = []
        found += bool(hits)
        false += len(points) - len(hits)
        histories_with_false += len(points) > len(hits)
    missed = 0 if kind == "null" else len(numbers) - found
    shown = "-" if kind == "null" else found
    return (
        f"| {kind} | {numbers.start}-{numbers.stop - 1} | {shown} | {missed if kind != 'null' else '-'} | "
        f"{false} in {histories_with_false} histories | {spent / len(numbers):.2f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.measure_changes")
    for kind in EFFECTS:
        parser.add_argument(f"--{kind}", type=seeds, metavar="FIRST-LAST")
    parser.add_argument("--otava-as-is", action="store_true")
    parser.add_argument("--runs", type=int, default=300, help="runs a history (300)")
    parser.add_argument("--max-pvalue", type=float, help="instead of thresholds.json's")
    parser.add_argument("--min-segment-runs", type=int, help="instead of thresholds.json's")
    args = parser.parse_args()
    rules = change_rules(load_thresholds())
    rules = replace(rules, max_pvalue=args.max_pvalue or rules.max_pvalue)
    rules = replace(rules, min_segment_runs=args.min_segment_runs or rules.min_segment_runs)
    print(f"| history | seeds | found | missed | false | time a history ({args.runs} runs x 14 rows) |")
    print("|---|---|---|---|---|---|")
    for kind in EFFECTS:
        if getattr(args, kind):
            print(
                measure(kind, getattr(args, kind), rules, as_is=args.otava_as_is, runs=args.runs), flush=True
            )


if __name__ == "__main__":
    main()
