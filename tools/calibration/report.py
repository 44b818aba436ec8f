"""The calibration's report: the settings in a line, each method's table with Wilson intervals, the
spread across independent histories, and the files it writes (calibration.txt, calibration.json)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from loadtest.gate.stats import wilson_interval
from loadtest.presets import load_preset
from loadtest.text.tables import table
from tools.calibration import methods
from tools.calibration.judging import Outcome, Tally
from tools.calibration.running import Settings, load_summary


def describe_settings(settings: Settings) -> str:
    preset = load_preset(settings.preset)
    users = settings.users or preset.users
    wait_min = settings.wait_min if settings.wait_min is not None else preset.settings.get("wait-min", "?")
    wait_max = settings.wait_max if settings.wait_max is not None else preset.settings.get("wait-max", "?")
    run_time = settings.run_time_s or preset.run_time_s
    return (
        f"preset {settings.preset}: {users} users, waits {wait_min}-{wait_max} s, {run_time:g} s runs; "
        f"K={settings.history_runs} history runs, T={settings.trials} trials each; "
        + (
            f"every trial judged against {settings.histories} independent histories; "
            if settings.histories
            else ""
        )
        + f"slowed: {settings.endpoint}; latency: {settings.model.describe()}; "
        f"judged with the thresholds of {_judged_as(settings)}"
    )


def _judged_as(settings: Settings) -> str:
    return (
        "a real host (target external)"
        if settings.judge_as == "external"
        else "the stand-in (target sandbox)"
    )


def count_cell(hits: int, total: int) -> str:
    """``2/40 (5.0%; 1.4–17%)``: the count, the rate and its Wilson 95% interval."""
    if not total:
        return "-"
    low, high = wilson_interval(hits, total)
    return f"{hits}/{total} ({_pct(hits / total)}; {_pct(low)[:-1]}–{_pct(high)})"


def _pct(fraction: float) -> str:
    """Two significant figures where they matter: ``0.4%``, ``5.0%``, ``13%``, ``100%``."""
    return f"{fraction * 100:.1f}%" if 0 < fraction < 0.1 else f"{fraction * 100:.0f}%"


def render_table(outcome: Outcome, tallies: Mapping[str, Tally] | None = None) -> str:
    """The side-by-side table: false alarms and detection per slowdown, counts with Wilson intervals."""
    return tally_table(outcome.tallies if tallies is None else tallies, sorted(outcome.measured.slowed))


def tally_table(tallies: Mapping[str, Tally], slowdowns: Sequence[float], *, first: str = "method") -> str:
    """One row per tally: false alarms, any flag, detections per slowdown, with Wilson intervals."""
    headers = [
        first,
        "false alarms (fail)",
        "any flag (warn too)",
        *(f"detected at +{x:.0%}" for x in slowdowns),
    ]
    rows = [
        [
            name,
            count_cell(tally.false_alarms, tally.aa_trials),
            count_cell(tally.any_flags, tally.aa_trials),
            *(count_cell(tally.detected.get(x, 0), tally.trials.get(x, 0)) for x in slowdowns),
        ]
        for name, tally in tallies.items()
    ]
    return table(rows, headers=headers, tablefmt="github")


def render_histories(outcome: Outcome) -> list[str]:
    """This gate's figures against each independent history, then every method's per history."""
    if not outcome.per_history:
        return []
    slowdowns = sorted(outcome.measured.slowed)
    headers = ["history", "false alarms (fail)", *(f"detected at +{x:.0%}" for x in slowdowns)]
    rows = [
        [
            f"{h + 1}",
            count_cell(t[methods.THIS_GATE].false_alarms, t[methods.THIS_GATE].aa_trials),
            *(
                count_cell(t[methods.THIS_GATE].detected.get(x, 0), t[methods.THIS_GATE].trials.get(x, 0))
                for x in slowdowns
            ),
        ]
        for h, t in enumerate(outcome.per_history)
    ]
    lines = [f"{methods.THIS_GATE}, the same trials against each history:", ""]
    lines += [table(rows, headers=headers, tablefmt="github"), ""]
    for h, tallies in enumerate(outcome.per_history):
        lines += [f"every method against history {h + 1}:", "", render_table(outcome, tallies), ""]
    return lines


def render_report(outcome: Outcome) -> str:
    settings, measured = outcome.settings, outcome.measured
    lines = [f"Calibration: {describe_settings(settings)}", ""]
    if outcome.per_history:
        lines += render_histories(outcome)
        lines.append(f"every method, summed over the {len(outcome.per_history)} histories:")
        lines.append("")
    lines += [render_table(outcome), ""]
    lines.append("Counts are trials; in brackets the rate and its Wilson 95% interval.")
    slowdowns = sorted(measured.slowed)
    if methods.THIS_GATE in outcome.tallies:
        smallest = outcome.tallies[methods.THIS_GATE].smallest_detected(slowdowns)
        found = f"+{smallest:.0%}" if smallest is not None else "none of those tried"
        lines.append(
            f"smallest slowdown caught in >=95% of trials at <=5% false alarms, {methods.THIS_GATE}: {found}"
        )
    requests = ", ".join(f"{name} {count:,.0f}" for name, count in outcome.requests.items())
    lines.append(f"median requests per unchanged run: {requests}")
    lines += outcome.noise
    if measured.wall_s:
        cores = measured.cpu_s / measured.wall_s
        lines.append(
            f"ran {len(measured.every_run)} runs, "
            f"{settings.parallel} at a time, in {measured.wall_s / 60:.1f} min; "
            f"CPU {measured.cpu_s:.0f} s = {cores:.2f} cores on average; "
            f"Locust CPU warnings: {measured.cpu_warnings}; {load_summary(measured.load)}"
        )
    elif measured.cpu_warnings:
        lines.append(f"Locust CPU warnings in the stored runs: {measured.cpu_warnings}")
    return "\n".join(lines) + "\n"


def save(outcome: Outcome, text: str) -> None:
    (outcome.settings.out / "calibration.txt").write_text(text, encoding="utf-8")
    document = tallies_json(outcome.tallies)
    if outcome.per_history:
        document = {"summed": document, "per_history": [tallies_json(t) for t in outcome.per_history]}
    (outcome.settings.out / "calibration.json").write_text(
        json.dumps(document, indent=2) + "\n", encoding="utf-8"
    )


def tallies_json(tallies: Mapping[str, Tally]) -> dict[str, object]:
    def counted(hits: int, total: int) -> dict[str, object]:
        low, high = wilson_interval(hits, total)
        return {"hits": hits, "trials": total, "wilson95": [round(low, 4), round(high, 4)]}

    return {
        name: {
            "false_alarms": counted(t.false_alarms, t.aa_trials),
            "any_flags": counted(t.any_flags, t.aa_trials),
            "detected": {f"{x:g}": counted(t.detected.get(x, 0), t.trials.get(x, 0)) for x in t.trials},
        }
        for name, t in tallies.items()
    }
