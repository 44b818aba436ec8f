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
from loadtest.gate import stats
from loadtest.gate.history import record_baseline
from loadtest.gate.history_band import TYPICAL, CommonMode, summarize
from loadtest.gate.noise import HistoryDecision, Method
from loadtest.gate.thresholds import load_thresholds
from tools.calibration import methods
from tools.calibration.running import RUN_FACTS, Measured, Settings

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
