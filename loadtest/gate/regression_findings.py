"""The words of a regression: a row slower, less busy or failing more than its baseline (the fixed
tolerances), than its history's band (loadtest.gate.noise), or than the base measured beside it in
the same run (loadtest.gate.paired); one constructor per kind."""

from __future__ import annotations

from loadtest.gate.findings import RUN, Finding, Level
from loadtest.gate.history_band import Band
from loadtest.gate.thresholds import RegressionRules, Tolerance
from loadtest.gate.units import (
    METRIC_LABELS,
    format_ms,
    format_ms_apart,
    format_pct,
    format_points,
    format_rps,
    format_signed_pct,
    format_value,
)


def latency_regression(
    level: Level,
    scope: str,
    *,
    metric: str,
    current: float,
    baseline: float,
    tolerance: Tolerance,
    reason: str,
) -> Finding:
    """A response-time metric slower than the baseline run by more than the fixed tolerance."""
    growth = current - baseline
    return Finding(
        level=level,
        scope=scope,
        kind="regression",
        metric=metric,
        rule=f"{metric} slower by over {format_pct(tolerance.relative)} and {tolerance.absolute:g} ms",
        observed=(
            f"{format_value(metric, baseline)} → {format_value(metric, current)} "
            f"({format_signed_pct(growth, baseline)}, {growth:+,.0f} ms)"
        ),
        reason=reason,
        value=current,
        baseline=baseline,
        limit=tolerance.absolute,
        source=f"regression.latency.{level}",
    )


def throughput_regression(
    level: Level, scope: str, *, current: float, baseline: float, tolerance: Tolerance, reason: str
) -> Finding:
    """Requests/s lower than the baseline run's by more than the fixed tolerance."""
    return Finding(
        level=level,
        scope=scope,
        kind="regression",
        metric="rps",
        rule=(
            f"requests/s lower by over {format_pct(tolerance.relative)} "
            f"and {format_rps(tolerance.absolute)} req/s"
        ),
        observed=(
            f"{format_rps(baseline)} → {format_rps(current)} req/s "
            f"({format_signed_pct(current - baseline, baseline)})"
        ),
        reason=reason,
        value=current,
        baseline=baseline,
        source=f"regression.throughput.{level}",
    )


def failure_ratio_regression(
    level: Level, scope: str, *, current: float, baseline: float, tolerance: Tolerance, reason: str
) -> Finding:
    """A failure ratio higher than the baseline run's by more than the fixed tolerance."""
    rule = f"failure ratio higher by over {tolerance.absolute * 100:g} pp"
    if tolerance.relative:
        rule += f" and {format_pct(tolerance.relative)}"
    return Finding(
        level=level,
        scope=scope,
        kind="regression",
        metric="failure_ratio",
        rule=rule,
        observed=(
            f"{format_value('failure_ratio', baseline)} → {format_value('failure_ratio', current)} "
            f"({format_points(current, baseline)})"
        ),
        reason=reason,
        value=current,
        baseline=baseline,
        source=f"regression.failure_ratio.{level}",
    )


RUNNER_WIDE_OBSERVED = "; every endpoint moved {} together, none by itself"
RUNNER_WIDE_REASON = (
    "Only the whole run moved: a slower runner or network moves every endpoint alike, as a change "
    "that slows every endpoint does, and one run cannot tell them apart. Measuring the base branch "
    "on the same runner (a paired base/head run) would."
)


def latency_out_of_band(
    level: Level,
    scope: str,
    metric: str,
    *,
    current: float,
    center: float,
    runs: int,
    edges: tuple[float, float],
    false_alarm_rate: float,
    effect: Tolerance,
    reason: str,
    run_shift: float = 1.0,
    every_endpoint: float | None = None,
) -> Finding:
    """A response-time metric above the band its baseline history predicts (loadtest.gate.noise).

    ``run_shift`` is the factor by which the run's other endpoints moved; the band's centre
    includes it, and the summary says so, so "+16%" reads as "+16% beyond the run-wide shift".
    ``every_endpoint``, for the aggregate when no endpoint stood out, is the factor by which they
    all moved together: the finding then says that a slower runner or network does that too."""
    low, high = edges
    change = current - center
    shown, high_shown, low_shown = format_ms_apart(current, high, low)
    shifted = "" if round(run_shift, 2) == 1 else f" incl. the run-wide {format_signed_pct(run_shift - 1, 1)}"
    return Finding(
        level=level,
        scope=scope,
        kind="regression",
        metric=metric,
        rule=(
            f"{METRIC_LABELS.get(metric, metric)} within the band of its history "
            f"({format_pct(false_alarm_rate)} false alarms per run), "
            f"or slower by under {format_pct(effect.relative)} and {effect.absolute:g} ms"
        ),
        observed=(
            f"{shown} ms, band {low_shown}–{high_shown} ms "
            f"({runs} runs, median {format_ms(center)} ms{shifted}; "
            f"{format_signed_pct(change, center)}, {change:+,.0f} ms)"
            + (
                RUNNER_WIDE_OBSERVED.format(format_signed_pct(every_endpoint - 1, 1))
                if every_endpoint
                else ""
            )
        ),
        reason=RUNNER_WIDE_REASON if every_endpoint else reason,
        value=current,
        baseline=center,
        limit=high,
        source=f"regression.history.{level}",
    )


def throughput_out_of_band(
    level: Level,
    scope: str,
    *,
    current: float,
    center: float,
    runs: int,
    edges: tuple[float, float],
    false_alarm_rate: float,
    tolerance: Tolerance,
    reason: str,
) -> Finding:
    """Requests/s below the band the baseline history predicts, by more than the throughput tolerance."""
    low, high = edges
    return Finding(
        level=level,
        scope=scope,
        kind="regression",
        metric="rps",
        rule=(
            f"requests/s within the band of its history ({format_pct(false_alarm_rate)} false alarms "
            f"per run), or lower by under {format_pct(tolerance.relative)} "
            f"and {format_rps(tolerance.absolute)} req/s"
        ),
        observed=(
            f"{format_rps(current)} req/s, band {format_rps(low)}–{format_rps(high)} req/s "
            f"({runs} runs, median {format_rps(center)} req/s; {format_signed_pct(current - center, center)})"
        ),
        reason=reason,
        value=current,
        baseline=center,
        limit=low,
        source=f"regression.history.throughput.{level}",
    )


def out_of_band(
    level: Level,
    band: Band,
    rules: RegressionRules,
    *,
    rate: float,
    effect: Tolerance,
    reason: str,
    every_endpoint: float | None,
) -> Finding:
    """The finding of a metric outside its history's band (loadtest.gate.noise): requests/s below
    it, or a latency above it. ``reason``: the history rule's, else the latency rule's."""
    if band.metric == "rps":
        assert rules.throughput is not None  # a throughput test exists only with its rule
        return throughput_out_of_band(
            level,
            band.row,
            current=band.current,
            center=band.center,
            runs=len(band.values),
            edges=(band.low, band.high),
            false_alarm_rate=rate,
            tolerance=getattr(rules.throughput, level),
            reason=rules.throughput.reason,
        )
    return latency_out_of_band(
        level,
        band.row,
        band.metric,
        current=band.current,
        center=band.center,
        runs=len(band.values),
        edges=(band.low, band.high),
        false_alarm_rate=rate,
        effect=effect,
        reason=reason or (rules.latency.reason if rules.latency else ""),
        run_shift=band.run_shift,
        every_endpoint=every_endpoint,
    )


def baseline_mismatch(mismatches: list[str]) -> Finding:
    """The baseline ran with other settings, so nothing was compared."""
    return Finding(
        level="warn",
        scope=RUN,
        kind="baseline",
        metric=None,
        rule="the baseline must have the same preset, users, run length and target",
        observed="; ".join(mismatches),
        reason="Runs with different settings are not comparable: regression checks skipped.",
    )


def missing_from_run(endpoint: str) -> Finding:
    """An endpoint of the baseline that this run no longer calls."""
    return Finding(
        level="warn",
        scope=endpoint,
        kind="baseline",
        metric="requests",
        rule="every endpoint of the baseline is exercised",
        observed="in the baseline, missing from this run",
        reason="An endpoint that is no longer called cannot regress, nor show that it did.",
    )


# --- a head against its base measured in the same run (loadtest.gate.paired) ------------------


def latency_against_base(
    level: Level,
    scope: str,
    *,
    head_ms: float,
    base_ms: float,
    ratio: float,
    interval: tuple[float, float],
    false_alarm_rate: float,
    effect: Tolerance,
    reason: str,
) -> Finding:
    """The head's typical response time above the base's, measured on the same runner in the same run.

    ``ratio`` and ``interval`` are the head over the base once the run's other endpoints' common
    difference is taken out (loadtest.gate.paired); ``head_ms`` and ``base_ms`` as measured."""
    low, high = interval
    return Finding(
        level=level,
        scope=scope,
        kind="regression",
        metric="typical",
        rule=(
            f"typical response time no slower than the base's ({format_pct(false_alarm_rate)} false alarms "
            f"per run), or slower by under {format_pct(effect.relative)} and {effect.absolute:g} ms"
        ),
        observed=(
            f"{abs(ratio - 1) * 100:.0f}% {'slower' if ratio >= 1 else 'faster'} than the base "
            f"({format_ms(head_ms)} ms vs {format_ms(base_ms)} ms, 95% interval "
            f"{format_signed_pct(low - 1, 1)} to {format_signed_pct(high - 1, 1)}), same runner"
        ),
        reason=reason,
        value=head_ms,
        baseline=base_ms,
        limit=None,
        source=f"regression.base.{level}",
    )


def failures_against_base(
    level: Level, scope: str, *, head_ratio: float, base_ratio: float, tolerance: Tolerance, reason: str
) -> Finding:
    """The head's failure ratio above the base's, by more than the tolerance and more than chance."""
    return Finding(
        level=level,
        scope=scope,
        kind="regression",
        metric="failure_ratio",
        rule=f"failure ratio no higher than the base's by {format_points(tolerance.absolute, 0)} or more",
        observed=(
            f"{format_pct(round(head_ratio, 4))} vs {format_pct(round(base_ratio, 4))} on the base "
            f"({format_points(head_ratio, base_ratio)}), same runner"
        ),
        reason=reason,
        value=head_ratio,
        baseline=base_ratio,
        limit=tolerance.absolute,
        source=f"regression.base.failure_ratio.{level}",
    )


def new_error_on_head(level: Level, scope: str, *, status: str, occurrences: int) -> Finding:
    """An error status the head answered with and the base never did, in the same run: at any volume."""
    times = "once" if occurrences == 1 else f"{occurrences:,} times"
    return Finding(
        level=level,
        scope=scope,
        kind="regression",
        metric="failures",
        rule="no error status that the base never answered with",
        observed=f"HTTP {status} on the head {times}, never on the base, same runner",
        reason="An error only the head's code gives is a change in behaviour, however rare.",
        value=float(occurrences),
        baseline=0.0,
        source=f"regression.base.new_error.{level}",
    )
