"""Judging a calibration's runs by every method, and the table of what each one caught.

A/A trial ``i`` judges unchanged run ``K + i`` against the rolling baseline of the K runs before
it; trial ``j`` of a slowdown judges slowed run ``j`` against the same baseline as A/A trial
``j``. A false alarm is an A/A trial with any regression at fail level on any row; a detection
is a fail-level flag on the slowed endpoint. Each count comes with its Wilson 95% interval.
"""

from __future__ import annotations

import json
import math
import shutil
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from loadtest.bundle import AGGREGATE, PERCENTILES, EndpointStats, Results, read_results
from loadtest.calibration import methods
from loadtest.calibration.running import RUN_FACTS, Measured, Settings, load_summary
from loadtest.gate import stats
from loadtest.gate.history import record_baseline
from loadtest.gate.history_band import TYPICAL, CommonMode, summarize
from loadtest.gate.noise import HistoryDecision, Method
from loadtest.gate.stats import wilson_interval
from loadtest.gate.thresholds import load_thresholds
from loadtest.presets import load_preset
from loadtest.text.tables import table

GOAL_DETECTION, GOAL_FALSE_ALARMS = 0.95, 0.05


@dataclass
class Tally:
    """Counts for one method: false alarms in A/A trials, detections per slowdown."""

    false_alarms: int = 0
    any_flags: int = 0
    aa_trials: int = 0
    detected: dict[float, int] = field(default_factory=dict)
    trials: dict[float, int] = field(default_factory=dict)

    def detection_rate(self, slowdown: float) -> float:
        return self.detected.get(slowdown, 0) / self.trials[slowdown] if self.trials.get(slowdown) else 0.0

    def smallest_detected(self, slowdowns: Sequence[float]) -> float | None:
        """The smallest slowdown caught in >= 95% of trials, if false alarms stay <= 5%."""
        if not self.aa_trials or self.false_alarms / self.aa_trials > GOAL_FALSE_ALARMS:
            return None
        caught = [x for x in sorted(slowdowns) if self.detection_rate(x) >= GOAL_DETECTION]
        return caught[0] if caught else None


@dataclass
class Outcome:
    """Every method's tally, and what it took."""

    settings: Settings
    measured: Measured
    tallies: dict[str, Tally]
    requests: dict[str, float]
    """Median requests per run, for the slowed endpoint and the aggregate."""
    noise: list[str] = field(default_factory=list)
    """What the runs showed of the noise: measured against what the gate predicts."""
    per_history: list[dict[str, Tally]] = field(default_factory=list)
    """Every method's tally against each independent history (Settings.histories); ``tallies``
    then sums them."""


def judging_thresholds(settings: Settings) -> Path:
    """thresholds.json as the runs are judged: for ``external``, a copy in which the stand-in's
    target section is the real host's (none, in this repository), so a loopback run gets every
    rule a real host gets, the minimum effects included."""
    if settings.judge_as == "sandbox":
        return settings.thresholds
    document = json.loads(Path(settings.thresholds).read_text(encoding="utf-8"))
    targets = document.setdefault("targets", {})
    targets["sandbox"] = targets.get("external", {})
    path = settings.out / "thresholds-as-external.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    load_thresholds(path)  # the copy is valid as the original is
    return path


def judge(settings: Settings, measured: Measured, progress: Callable[[str], None] = print) -> Outcome:
    """Judge every trial by every method: against the rolling history, or against each of the
    independent histories (Settings.histories), one tally per history."""
    thresholds = judging_thresholds(settings)
    results = {path: read_results(path) for path in [*measured.unchanged, *_history_paths(measured)]}
    judges = methods.methods(settings.judge_as, variants=settings.variants, only=settings.methods)
    k = settings.history_runs
    noise_lines: list[str] = []
    if measured.histories:
        per_history = []
        for h, runs in enumerate(measured.histories):
            baseline = _fixed_baseline(settings, h, runs)
            aa = [(results[path], results[runs[-1]], baseline) for path in measured.unchanged]
            slowed = {
                x: [(read_results(path), results[runs[-1]], baseline) for path in paths]
                for x, paths in measured.slowed.items()
            }
            per_history.append(_tally(settings, judges, thresholds, aa, slowed))
            noise_lines.append(_history_noise(settings, h, _trial(*aa[0], thresholds)))
            progress(f"calibrate: judged every trial against history {h + 1}")
        tallies = {name: _summed(t[name] for t in per_history) for name in judges}
    else:
        baselines = _rolling_baselines(settings, measured.unchanged)
        aa = [
            (results[measured.unchanged[k + i]], results[measured.unchanged[k + i - 1]], baselines[k + i - 1])
            for i in range(settings.trials)
        ]
        slowed = {
            x: [
                (read_results(path), results[measured.unchanged[k + j - 1]], baselines[k + j - 1])
                for j, path in enumerate(paths)
            ]
            for x, paths in measured.slowed.items()
        }
        tallies, per_history = _tally(settings, judges, thresholds, aa, slowed), []
        progress("calibrate: judged every trial")
    unchanged = [results[p] for p in [*_history_paths(measured), *measured.unchanged]]
    return Outcome(
        settings,
        measured,
        tallies,
        _requests(settings, unchanged),
        noise_check(settings, unchanged, measured) + noise_lines,
        per_history,
    )


def _history_noise(settings: Settings, h: int, trial: methods.Trial) -> str:
    """What history ``h`` makes of the runner's noise: the pooled ratio, and the slowed endpoint's
    band (log sd) with the pooled estimate and with its own history's alone."""
    sds = []
    pooled = None
    for method in (Method(), Method(pooled=False)):
        regression = trial.rules.regression
        assert regression.history is not None  # _trial checks that thresholds.json has one
        decision = HistoryDecision(
            trial.history,
            regression.history,
            current=trial.current,
            baseline=trial.previous,
            rules=regression,
            method=method,
        )
        band = decision.bands.get(settings.endpoint, {}).get(TYPICAL)
        sds.append(f"{band.sd_log:.3f}" if band is not None else "-")
        pooled = pooled or decision.pooled.get(TYPICAL)
    ratio = (
        f"{pooled.ratio:.2f} ({pooled.df:.0f} degrees of freedom, {pooled.endpoints} endpoints)"
        if pooled
        else "-"
    )
    own = ", ".join(
        f"{row} {value:.2f}" for (row, metric), value in sorted(decision.ratios.items()) if metric == TYPICAL
    )
    return (
        f"history {h + 1}: each endpoint's own run-to-run over sampling variance: {own}\n"
        f"history {h + 1}: run-to-run over sampling variance pooled across endpoints {ratio}; "
        f"{settings.endpoint}'s band on the first A/A trial: log sd {sds[0]} pooled, "
        f"{sds[1]} from its own history"
    )


Judged = tuple[Results, Results, Path]
"""One trial's run, the previous unchanged run, and the baseline it is judged against."""


def _tally(
    settings: Settings,
    judges: Mapping[str, methods.Judge],
    thresholds: Path,
    aa: Sequence[Judged],
    slowed: Mapping[float, Sequence[Judged]],
) -> dict[str, Tally]:
    tallies = {name: Tally() for name in judges}
    for current, previous, baseline in aa:
        trial = _trial(current, previous, baseline, thresholds)
        for name, judge_trial in judges.items():
            flags = judge_trial(trial)
            tally = tallies[name]
            tally.aa_trials += 1
            tally.false_alarms += any(level == "fail" for _, _, level in flags)
            tally.any_flags += bool(flags)
    for x, trials in slowed.items():
        for current, previous, baseline in trials:
            trial = _trial(current, previous, baseline, thresholds)
            for name, judge_trial in judges.items():
                flags = judge_trial(trial)
                tally = tallies[name]
                tally.trials[x] = tally.trials.get(x, 0) + 1
                hit = any(scope == settings.endpoint and level == "fail" for scope, _, level in flags)
                tally.detected[x] = tally.detected.get(x, 0) + hit
    return tallies


def _summed(tallies: Iterable[Tally]) -> Tally:
    total = Tally()
    for tally in tallies:
        total.false_alarms += tally.false_alarms
        total.any_flags += tally.any_flags
        total.aa_trials += tally.aa_trials
        for x, n in tally.trials.items():
            total.trials[x] = total.trials.get(x, 0) + n
            total.detected[x] = total.detected.get(x, 0) + tally.detected.get(x, 0)
    return total


def _history_paths(measured: Measured) -> list[Path]:
    return [path for runs in measured.histories for path in runs]


def _fixed_baseline(settings: Settings, h: int, runs: Sequence[Path]) -> Path:
    """History ``h``'s K runs recorded one after the other, as the default branch would."""
    folder = settings.out / "histories" / f"{h + 1}"
    shutil.rmtree(folder, ignore_errors=True)
    previous: Path | None = None
    for m, path in enumerate(runs):
        out = folder / f"{m:03d}"
        record_baseline(path, previous=previous, out=out, keep=settings.history_runs)
        previous = out
    assert previous is not None  # K >= 1
    return previous


def _trial(current: Results, previous: Results, baseline: Path, thresholds: Path) -> methods.Trial:
    facts = current.facts
    rules = load_thresholds(thresholds).rules_for(
        preset=facts.preset if facts else None, target=facts.target if facts else None
    )
    if rules.regression.history is None:
        raise RuntimeError(f"{thresholds}: no regression.history section to calibrate")
    history = methods.read_trial_history(baseline, current)
    return methods.Trial(current, previous, baseline, history, rules, thresholds)


def _rolling_baselines(settings: Settings, unchanged: list[Path]) -> list[Path]:
    """Baseline ``m`` is unchanged run ``m`` recorded on top of baseline ``m - 1``, keeping K runs."""
    folder = settings.out / "baselines"
    shutil.rmtree(folder, ignore_errors=True)
    baselines: list[Path] = []
    for m, path in enumerate(unchanged[:-1]):
        out = folder / f"{m:03d}"
        previous = baselines[-1] if baselines else None
        record_baseline(path, previous=previous, out=out, keep=settings.history_runs)
        baselines.append(out)
    return baselines


def _requests(settings: Settings, runs: list[Results]) -> dict[str, float]:
    slowed = [run.endpoints[settings.endpoint].requests for run in runs if settings.endpoint in run.endpoints]
    return {
        settings.endpoint: _median(slowed),
        AGGREGATE: _median([run.aggregate.requests for run in runs]),
        "fewest per endpoint": _median([min(r.requests for r in run.endpoints.values()) for run in runs]),
    }


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def noise_check(settings: Settings, runs: list[Results], measured: Measured) -> list[str]:
    """What the unchanged runs show of the noise, against what the gate predicts: the run-wide
    shift's spread, and the slowed endpoint's run-to-run spread alone and relative to the run's
    other endpoints, beside the sampling noise read off each run's own histogram."""
    rows = [run for run in runs if settings.endpoint in run.endpoints]
    if len(rows) < 3:
        return []
    metrics = (TYPICAL, "p95")
    summaries = [{name: summarize(row, metrics) for name, row in run.endpoints.items()} for run in rows]
    common = CommonMode(summaries[0], summaries)
    overall = [common.shift(s, leave_out="") for s in summaries]
    lines = [
        f"run-wide shift over {len(rows)} unchanged runs: sd {_sd(x for x, _ in overall):.3f} (log scale), "
        f"of which sampling {statistics.fmean(v for _, v in overall) ** 0.5:.3f}"
    ]
    shifts = [common.shift(s, leave_out=settings.endpoint) for s in summaries]
    for metric in metrics:
        own = [s[settings.endpoint] for s in summaries]
        if not all(metric in o.logs for o in own):
            continue
        alone = [o.logs[metric] for o in own]
        relative = [o.logs[metric] - shift for o, (shift, _) in zip(own, shifts, strict=True)]
        predicted = statistics.fmean(o.variances[metric] + v for o, (_, v) in zip(own, shifts, strict=True))
        line = (
            f"{settings.endpoint} {metric}: run-to-run sd {_sd(alone):.3f} alone, {_sd(relative):.3f} "
            f"relative to the other endpoints; predicted from each run's histogram {predicted**0.5:.3f}"
        )
        boot = statistics.fmean(_bootstrap_variance(run.endpoints[settings.endpoint], metric) for run in rows)
        common_variance = statistics.fmean(v for _, v in shifts)
        formula = "order-statistic formula" if metric in PERCENTILES else "winsorized-variance formula"
        line += f" ({formula}; a bootstrap of each run's requests says {(boot + common_variance) ** 0.5:.3f})"
        lines.append(line)
    factors = _speed_factors(measured)
    if factors:
        lines.append(
            f"speed factors drawn per run: {len(factors)}, "
            f"spread {_sd(math.log(f) for f in factors):.1%} (log sd)"
        )
    return lines


def _sd(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.stdev(values) if len(values) > 1 else 0.0


def _bootstrap_variance(row: EndpointStats, metric: str) -> float:
    """The run's own requests resampled 200 times: the metric's sampling noise, measured (the
    check of the formulas ``summarize`` uses, under a heavy tail or a second mode)."""

    def value(histogram: stats.Histogram) -> list[float]:
        if metric == TYPICAL:
            return [stats.trimmed_log_mean(histogram)]
        return [stats.log_ms(stats.percentile(histogram, PERCENTILES[metric]))]

    (variance,) = stats.bootstrap_variances(
        row.histogram,
        value,
        replicates=200,
        seed=f"{row.name} {row.requests}",
    )
    return variance


def _speed_factors(measured: Measured) -> list[float]:
    factors = []
    for path in measured.every_run:
        facts = path / RUN_FACTS
        if facts.is_file():
            factors.append(float(json.loads(facts.read_text(encoding="utf-8")).get("speed_factor", 1.0)))
    return [f for f in factors if f != 1.0]


# --- the report -------------------------------------------------------------------


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
    for name in (n for n in (methods.THIS_GATE, methods.LEGACY) if n in outcome.tallies):
        smallest = outcome.tallies[name].smallest_detected(slowdowns)
        found = f"+{smallest:.0%}" if smallest is not None else "none of those tried"
        lines.append(f"smallest slowdown caught in >=95% of trials at <=5% false alarms, {name}: {found}")
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
