"""The statistics the history gate is built from, on Locust's response-time histograms ({ms: requests}).

Small pure functions, each tested on its own: the typical response time of a run (a trimmed mean
of log latency) and its sampling variance, a seeded bootstrap over a histogram, Holm's step-down
procedure, and Student's t distribution (for the band's degrees of freedom and the peer t-test).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

from loadtest.bundle import histogram_percentile

Histogram = Mapping[float, int]

_RANK_Z = 1.96
TRIM = 0.1
"""The typical response time leaves out the fastest and the slowest 10% of requests."""
TYPICAL = "typical"
"""The typical response time as a metric name: exp of the trimmed mean log latency (``typical_ms``)."""


def log_ms(ms: float) -> float:
    """Latency on the log scale, where a slowdown by a factor is a shift; below 1 ms counts as 1 ms
    (Locust rounds to whole ms there, and a 0 ms bucket has no logarithm)."""
    return math.log(max(ms, 1.0))


def _middle(histogram: Histogram, trim: float) -> list[tuple[float, float]]:
    """(log ms, weight) of the requests between the ``trim`` and ``1 - trim`` quantiles; a bucket
    cut by a quantile keeps the fraction of its requests inside."""
    total = sum(histogram.values())
    low, high = trim * total, (1 - trim) * total
    kept, seen = [], 0
    for ms in sorted(histogram):
        count = histogram[ms]
        inside = min(seen + count, high) - max(seen, low)
        if inside > 0:
            kept.append((log_ms(ms), inside))
        seen += count
    return kept


def trimmed_log_mean(histogram: Histogram, trim: float = TRIM) -> float:
    """The mean log latency of the middle ``1 - 2 trim`` of requests: exp() of it is the run's typical
    response time. Every request in the middle counts, not one rank, and a heavy tail cannot drag it."""
    kept = _middle(histogram, trim)
    weight = sum(w for _, w in kept)
    return sum(value * w for value, w in kept) / weight if weight else 0.0


def typical_ms(histogram: Histogram) -> float | None:
    """The typical response time in ms: exp of ``trimmed_log_mean``; None without a histogram."""
    return math.exp(trimmed_log_mean(histogram)) if histogram else None


def trimmed_mean_variance(histogram: Histogram, trim: float = TRIM) -> float:
    """Sampling variance of ``trimmed_log_mean``: the winsorized variance over (1 - 2 trim)^2 n
    (Tukey and McLaughlin), the textbook large-sample formula."""
    total = sum(histogram.values())
    kept = _middle(histogram, trim)
    if total < 2 or not kept:
        return 0.0
    low, high = kept[0][0], kept[-1][0]
    clipped = [(min(max(log_ms(ms), low), high), count) for ms, count in histogram.items()]
    mean = sum(value * count for value, count in clipped) / total
    winsorized = sum(count * (value - mean) ** 2 for value, count in clipped) / (total - 1)
    return winsorized / ((1 - 2 * trim) ** 2 * total)


def percentile(histogram: Histogram, fraction: float) -> float:
    """The response time ``fraction`` of the requests finished within, by Locust's rule."""
    return histogram_percentile(histogram, sum(histogram.values()), fraction)


def order_statistic_variance(histogram: Histogram, fraction: float) -> float:
    """Variance of log(percentile) from the order-statistic interval: the ranks n p +- 1.96
    sqrt(n p (1 - p)) read off the histogram, plus Locust's bucket rounding. A formula, not a
    measurement: for a mixture or a heavy tail it can overstate the noise (a 0.164 estimate
    measured against a whole run-to-run spread of 0.116), hence the bootstrap."""
    count = sum(histogram.values())
    value = percentile(histogram, fraction)
    if not value or count == 0:
        return 0.0
    low, high = percentile_interval(histogram, fraction)
    spread = (math.log(max(high, 1.0)) - math.log(max(low, 1.0))) / (2 * _RANK_Z)
    return spread**2 + (bucket_width(value) / value) ** 2 / 12


@dataclass(frozen=True)
class SampleInterval:
    """A figure's confidence interval from the run's own sample, and the requests that would put
    it beyond the limit."""

    low: float
    high: float
    confidence: float
    requests: int
    needed: int

    def nearest(self, *, floor: bool) -> float:
        """The end of the interval on the limit's good side: the high end for a lower limit."""
        return self.high if floor else self.low


def percentile_interval(histogram: Histogram, fraction: float, z: float = _RANK_Z) -> tuple[float, float]:
    """The distribution-free confidence interval of a percentile (95% at the default ``z``): the
    response times at ranks n p -+ z sqrt(n p (1 - p)), read off the run's own histogram."""
    count = sum(histogram.values())
    if count == 0:
        return 0.0, 0.0
    half = z * math.sqrt(count * fraction * (1 - fraction))
    low = histogram_percentile(histogram, count, max(0.0, fraction - half / count))
    high = histogram_percentile(histogram, count, min(1.0, fraction + half / count))
    return low, high


def percentile_requests_needed(
    histogram: Histogram, fraction: float, limit: float, z: float = _RANK_Z
) -> int:
    """How many requests, distributed as these, would put the percentile's interval above ``limit``:
    the share F within the limit must fall below p - z sqrt(p (1 - p) / n), so n > z^2 p (1 - p) /
    (p - F)^2. 0 when the percentile is not above the limit at all."""
    count = sum(histogram.values())
    within = sum(n for ms, n in histogram.items() if ms <= limit) / count if count else 1.0
    if within >= fraction:
        return 0
    return math.ceil(z * z * fraction * (1 - fraction) / (fraction - within) ** 2) + 1


def wilson_interval(hits: float, total: float, z: float = _RANK_Z) -> tuple[float, float]:
    """Wilson's score interval for a proportion: honest at 0/40 and 40/40, where hits/n +- 1.96 sd
    would claim certainty."""
    if total <= 0:
        return 0.0, 1.0
    p = hits / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def ratio_requests_needed(ratio: float, limit: float, z: float = _RANK_Z) -> int:
    """How many requests at this failure ratio would put its Wilson interval above ``limit`` (0
    when the ratio is not above it): the lower end grows with n, so bisection finds the least."""
    if ratio <= limit:
        return 0
    low, high = 1, 2
    while wilson_interval(ratio * high, high, z)[0] <= limit:
        low, high = high, high * 2
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (
            (middle, high) if wilson_interval(ratio * middle, middle, z)[0] <= limit else (low, middle)
        )
    return high


def rate_interval(rate: float, count: int, z: float = _RANK_Z) -> tuple[float, float]:
    """A rate's interval from the count it rests on, as if the count were Poisson: rate x (1 -+ z /
    sqrt(n)). Locust's closed loop makes requests more regular than Poisson, so this is wide."""
    if count <= 0:
        return 0.0, math.inf
    half = z / math.sqrt(count)
    return rate * max(0.0, 1 - half), rate * (1 + half)


def rate_requests_needed(rate: float, floor: float, z: float = _RANK_Z) -> int:
    """How many requests at this rate would put its interval below ``floor``: rate (1 + z / sqrt(n))
    < floor, so n > (z rate / (floor - rate))^2; 0 when the rate is not below it."""
    if rate >= floor:
        return 0
    return math.ceil((z * rate / (floor - rate)) ** 2) + 1


def bucket_width(ms: float) -> float:
    """Locust rounds response times to whole ms below 100, to 10 ms up to 1,000, to 100 ms above."""
    return 1.0 if ms < 100 else 10.0 if ms < 1000 else 100.0


def bootstrap_variances(
    histogram: Histogram,
    statistics: Callable[[Histogram], Sequence[float]],
    *,
    replicates: int,
    seed: str,
) -> list[float]:
    """Variance of each of ``statistics`` over ``replicates`` resamples of the run's own requests.

    The resample draws as many requests as the run made, with replacement, from its histogram;
    ``seed`` makes it deterministic (the same run is always judged the same way).
    """
    total = sum(histogram.values())
    if total < 2 or replicates < 2:
        return [0.0] * len(statistics(histogram))
    buckets = sorted(histogram)
    cumulative, running = [], 0
    for ms in buckets:
        running += histogram[ms]
        cumulative.append(running)
    rng = random.Random(seed)
    draws = [
        statistics(Counter(rng.choices(buckets, cum_weights=cumulative, k=total))) for _ in range(replicates)
    ]
    return [_variance([draw[i] for draw in draws]) for i in range(len(draws[0]))]


def _variance(values: Sequence[float]) -> float:
    mean = math.fsum(values) / len(values)
    return math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)


def holm_levels(p_values: Sequence[float], alpha: float) -> list[float]:
    """The level Holm's step-down procedure judges each test at; a test is rejected when p <= level.

    The smallest p-value is judged at alpha / m, the next at alpha / (m - 1), and so on until the
    first one that is not rejected: it and all larger ones keep that level and are accepted. The
    family-wise error rate is alpha, as with Bonferroni (alpha / m for all), with more power.
    """
    m = len(p_values)
    levels = [0.0] * m
    stopped: float | None = None
    for rank, index in enumerate(sorted(range(m), key=lambda i: p_values[i])):
        level = alpha / (m - rank)
        if stopped is None and p_values[index] > level:
            stopped = level
        levels[index] = level if stopped is None else stopped
    return levels


def normal_upper_p(z: float) -> float:
    """One-sided p-value of a z score."""
    return 1.0 - NormalDist().cdf(z)


def t_cdf(t: float, df: float) -> float:
    """Student's t distribution's CDF with ``df`` degrees of freedom (df may be fractional)."""
    if math.isinf(df):
        return NormalDist().cdf(t)
    x = df / (df + t * t)
    tail = 0.5 * _regularized_beta(x, df / 2, 0.5)
    return 1 - tail if t > 0 else tail


def t_upper_p(t: float, df: float) -> float:
    """One-sided p-value of a t score."""
    return 1.0 - t_cdf(t, df)


def t_quantile(q: float, df: float) -> float:
    """The ``q`` quantile of Student's t with ``df`` degrees of freedom, by bisection on the CDF."""
    if math.isinf(df):
        return NormalDist().inv_cdf(q)
    low, high = -1e4, 1e4
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if t_cdf(middle, df) < q else (low, middle)
    return (low + high) / 2


def trimmed_dispersion(scores: Sequence[float], keep: float = 0.75) -> tuple[float, int]:
    """How many times their variance independent z-scores spread, from the smallest ``keep`` of their
    squares (so that a few that really moved do not count), and the squares it rests on.

    For z ~ N(0, 1), z squared is chi-square with 1 degree of freedom, and the mean of its part below
    the quantile q is P(chi2_3 <= q) / P(chi2_1 <= q) (x times chi2_1's density is chi2_3's), so the
    kept squares' mean over that is an unbiased estimate of the factor for a large sample."""
    squares = sorted(score * score for score in scores if math.isfinite(score))
    if not squares:
        return 1.0, 0
    kept = max(1, math.ceil(keep * len(squares)))
    share = kept / len(squares)
    if share >= 1:
        return math.fsum(squares) / kept, kept
    q = NormalDist().inv_cdf(0.5 + share / 2) ** 2
    chi2_3 = math.erf(math.sqrt(q / 2)) - math.sqrt(2 * q / math.pi) * math.exp(-q / 2)
    return math.fsum(squares[:kept]) / kept / (chi2_3 / share), kept


def chi2_quantile(q: float, df: float) -> float:
    """The ``q`` quantile of the chi-square distribution with ``df`` degrees of freedom, by Wilson and
    Hilferty's cube-root normal approximation (within 1% from about 5 degrees of freedom)."""
    z = NormalDist().inv_cdf(q)
    c = 2 / (9 * df)
    return df * max(0.0, 1 - c + z * math.sqrt(c)) ** 3


def _regularized_beta(x: float, a: float, b: float) -> float:
    """I_x(a, b) by its continued fraction (Lentz's method, as in Numerical Recipes' betai)."""
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x > (a + 1) / (a + b + 2):
        return 1.0 - _regularized_beta(1 - x, b, a)
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    fraction = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            fraction *= c * d
        if abs(c * d - 1) < 1e-15:
            break
    return front * fraction / a
