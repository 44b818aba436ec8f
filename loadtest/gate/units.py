"""How metric values and changes are written for people, in the summary, the console and annotations."""

from __future__ import annotations

from datetime import timedelta

# From the module, not the package: the package's run.json facts write durations with format_duration.
from loadtest.bundle.rows import LATENCY_METRICS

METRIC_LABELS = {
    "requests": "requests",
    "failures": "failures",
    "failure_ratio": "failure ratio",
    "rps": "requests/s",
    **{metric: metric for metric in LATENCY_METRICS},
    "typical": "typical response time",
}
LIMIT_METRICS = {"min_rps": "rps", "min_requests": "requests"}
"""thresholds.json names of lower limits, and the metric each one limits."""

NOT_RECORDED = "n/a"


def format_value(metric: str, value: float | None) -> str:
    """``812 ms``, ``1.25%``, ``12.3 req/s``, ``1,204``."""
    if value is None:
        return NOT_RECORDED
    if metric in LATENCY_METRICS or metric == "typical":
        return f"{format_ms(value)} ms"
    if metric == "failure_ratio":
        return format_percent(value)
    if metric == "rps":
        return f"{format_rps(value)} req/s"
    return f"{value:,.0f}"


def format_ms(value: float | None) -> str:
    if value is None:
        return NOT_RECORDED
    if value < 10 and not float(value).is_integer():
        return f"{value:.1f}"
    return f"{value:,.0f}"


def format_ms_apart(value: float, edge: float, *others: float) -> list[str]:
    """``value``, ``edge`` and ``others`` in ms with as many decimals as it takes to print a value
    that crossed its band's edge differently from the edge (``147.4`` against ``146.9``, never
    ``147`` against ``147``); the same decimals for all, so a band reads as one scale."""
    for digits in range(4):
        shown = [format_ms(v) if digits == 0 else f"{v:,.{digits}f}" for v in (value, edge, *others)]
        if shown[0] != shown[1] or value == edge:
            return shown
    return shown


def format_p_value(p: float) -> str:
    """``p 0.031``, ``p 0.0004``, ``p under 0.0001``: two significant figures, floored where they stop
    meaning anything (the t distribution's far tail is an approximation); no ``<``, which a
    summary's sanitiser would escape."""
    return "p under 0.0001" if p < 0.0001 else f"p {p:.2g}" if p < 0.1 else f"p {p:.2f}"


def format_rps(value: float | None) -> str:
    if value is None:
        return NOT_RECORDED
    return f"{value:.2f}" if value < 10 else f"{value:,.1f}"


def format_percent(ratio: float) -> str:
    """A measured ratio, to two decimals: ``1.25%``."""
    return f"{ratio * 100:.2f}%"


def format_pct(fraction: float) -> str:
    """A configured fraction (a tolerance, a false-alarm rate) as short as thresholds.json wrote it:
    ``20%``, ``2.5%``; unlike a measured ratio, padding it to two decimals would only add noise."""
    return f"{fraction * 100:g}%"


def format_signed_pct(change: float, baseline: float) -> str:
    """A change as a whole percentage of its baseline, sign always shown: ``+18%``, ``-3%``, ``from 0``."""
    return "from 0" if baseline == 0 else f"{change / baseline * 100:+.0f}%"


def format_relative(current: float, baseline: float) -> str:
    """``+12%``, ``-30%``, ``±0%``; from a zero baseline, ``new`` (any growth is unbounded)."""
    if baseline == 0:
        return "±0%" if current == 0 else "new"
    percent = round((current - baseline) / baseline * 100)
    return "±0%" if percent == 0 else f"{percent:+d}%"


def format_points(current_ratio: float, baseline_ratio: float) -> str:
    """A change of a ratio in percentage points: ``+0.50 pp``."""
    change = round((current_ratio - baseline_ratio) * 100, 2)
    return "±0 pp" if change == 0 else f"{change:+.2f} pp"


def format_change(metric: str, current: float | None, baseline: float | None) -> str:
    """The change against the baseline as the tables show it."""
    if current is None or baseline is None:
        return NOT_RECORDED
    if metric == "failure_ratio":
        return format_points(current, baseline)
    return format_relative(current, baseline)


def format_duration(seconds: float) -> str:
    """``45 s``, ``5 min``, ``1 h 30 min``."""
    seconds = round(seconds)
    if seconds < 120:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min" if not secs else f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h" if not minutes else f"{hours} h {minutes} min"


def format_age(age: timedelta) -> str:
    """How old a baseline is, coarsely: ``40 min``, ``5 h``, ``3 days``."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 0:
        return "from the future (check the clocks)"
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"
