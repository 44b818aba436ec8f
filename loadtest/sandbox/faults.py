"""Fault injection: per-endpoint latency and 5xx errors, chosen by a glob on the endpoint's stats name.

The canonical form of a rule (used by ``--faults-file``, ``PUT /__sandbox/faults`` and the Python API)::

    {"match": "GET /api/dashboard/",     # fnmatch glob on "METHOD /path/" (Endpoint.name); "*" = all
     "latency_ms": 0,                    # fixed part, milliseconds
     "jitter": null,                     # or {"distribution": "lognormal", "median_ms": 50, "p95_ratio": 2.5}
                                         # or {"distribution": "uniform", "max_ms": 20}
                                         # or {"distribution": "exponential", "mean_ms": 10}
                                         # or {"distribution": "quantiles", "p50_ms": 420,
                                         #     "p90_ms": 850, "p95_ms": 1200, "p99_ms": 2300}
                                         # or {"distribution": "mixture", "median_ms": 50,
                                         #     "p95_ratio": 2, "second_ratio": 3, "second_weight": 0.1,
                                         #     "tail_ratio": 10, "tail_weight": 0.01}
     "scale": 1.0,                       # multiplies the whole latency
     "error_rate": 0.0,                  # probability of an injected error response
     "error_status": 503}                # 503 or 500

The first rule that matches wins. A request waits ``(latency_ms + jitter sample) * scale``
milliseconds in a cooperative gevent sleep, so a slow endpoint never slows the others.

The compact command-line form of one rule (``--fault``) is ``PATTERN=ITEM,ITEM,...`` with items
``latency:MS``, ``jitter:lognormal:MEDIAN_MS:P95_RATIO``, ``jitter:uniform:MAX_MS``,
``jitter:exponential:MEAN_MS``, ``jitter:quantiles:P50:P90:P95:P99``,
``jitter:mixture:MEDIAN_MS:P95_RATIO:SECOND_RATIO:SECOND_WEIGHT:TAIL_RATIO:TAIL_WEIGHT``, ``scale:X``,
``errors:RATE`` and ``status:500|503``, e.g.
``'GET /api/dashboard/=latency:50,jitter:lognormal:50:2.5,scale:1.2,errors:0.1'``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from statistics import NormalDist
from typing import Any

MAX_MS = 60_000.0
"""Longest latency a rule may ask for, and longest injected sleep: a sandbox never hangs a client."""
MAX_SCALE = 100.0
ERROR_STATUSES = (503, 500)
_Z95 = 1.6448536269514722
"""The 95th percentile of the standard normal distribution."""
_NORMAL = NormalDist()
QUANTILE_PARAMS = {"p50_ms": 0.50, "p90_ms": 0.90, "p95_ms": 0.95, "p99_ms": 0.99}
MAX_Z = 3.5
"""The quantile jitter's longest tail: it extends the p95-p99 slope no further than z = 3.5 (p99.98)."""

JITTER_PARAMS: dict[str, tuple[str, ...]] = {
    "lognormal": ("median_ms", "p95_ratio"),
    "uniform": ("max_ms",),
    "exponential": ("mean_ms",),
    "quantiles": tuple(QUANTILE_PARAMS),
    "mixture": ("median_ms", "p95_ratio", "second_ratio", "second_weight", "tail_ratio", "tail_weight"),
}
_RATIOS = ("p95_ratio", "second_ratio", "tail_ratio")
"""Parameters that are a multiple of the median: above 1 (up to 100)."""
_WEIGHTS = ("second_weight", "tail_weight")
"""Parameters that are a share of the requests: from 0 to below 1, together below 1."""
RULE_KEYS = frozenset({"match", "latency_ms", "jitter", "scale", "error_rate", "error_status"})


class FaultSpecError(ValueError):
    """A fault rule is malformed; the message names the rule and the field."""


def _number(value: Any, what: str, *, low: float, high: float, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise FaultSpecError(f"{what} must be a number, got {value!r}")
    if value < low or (low_open and value == low) or value > high:
        bound = f"> {low:g}" if low_open else f">= {low:g}"
        raise FaultSpecError(f"{what} must be {bound} and <= {high:g}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Jitter:
    """Random extra latency drawn from a named distribution."""

    distribution: str
    params: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: Any) -> Jitter:
        if not isinstance(data, dict):
            raise FaultSpecError(f"jitter must be an object or null, got {data!r}")
        distribution = data.get("distribution")
        if distribution not in JITTER_PARAMS:
            raise FaultSpecError(
                f"jitter.distribution must be one of {sorted(JITTER_PARAMS)}, got {distribution!r}"
            )
        names = JITTER_PARAMS[distribution]
        unknown = set(data) - {"distribution", *names}
        if unknown:
            raise FaultSpecError(
                f"{distribution} jitter takes {', '.join(names)}; unknown: {', '.join(sorted(unknown))}"
            )
        params = {}
        for name in names:
            if name not in data:
                raise FaultSpecError(f"{distribution} jitter needs {name}")
            if name in _RATIOS:
                params[name] = _number(data[name], f"jitter.{name}", low=1.0, high=100.0, low_open=True)
            elif name in _WEIGHTS:
                params[name] = _number(data[name], f"jitter.{name}", low=0.0, high=0.5)
            else:
                params[name] = _number(data[name], f"jitter.{name}", low=0.0, high=MAX_MS, low_open=True)
        if distribution == "quantiles" and list(params.values()) != sorted(params.values()):
            raise FaultSpecError("quantiles jitter needs p50_ms <= p90_ms <= p95_ms <= p99_ms")
        if distribution == "mixture" and params["second_ratio"] > params["tail_ratio"]:
            raise FaultSpecError("mixture jitter needs second_ratio <= tail_ratio")
        return cls(distribution, params)

    def to_dict(self) -> dict[str, Any]:
        return {"distribution": self.distribution, **self.params}

    def sample_ms(self, rng: random.Random) -> float:
        p = self.params
        if self.distribution == "lognormal":
            # median = exp(mu); p95 = exp(mu + z95 * sigma)  =>  sigma = ln(p95 / median) / z95
            return rng.lognormvariate(math.log(p["median_ms"]), math.log(p["p95_ratio"]) / _Z95)
        if self.distribution == "uniform":
            return rng.uniform(0.0, p["max_ms"])
        if self.distribution == "quantiles":
            return quantile_sample(p, rng.random())
        if self.distribution == "mixture":
            return mixture_sample(p, rng)
        return rng.expovariate(1.0 / p["mean_ms"])


def quantile_sample(params: dict[str, float], u: float) -> float:
    """The latency at probability ``u`` of a distribution through the given percentiles.

    log(latency) is linear in the normal quantile z between the percentiles (a lognormal piece
    between each pair), so the draws reproduce p50, p90, p95 and p99 exactly, tails included;
    below p50 and above p99 the nearest piece is extended (above p99 up to z = MAX_Z).
    """
    knots = [(_NORMAL.inv_cdf(q), math.log(params[name])) for name, q in QUANTILE_PARAMS.items()]
    z = max(-MAX_Z, min(MAX_Z, _NORMAL.inv_cdf(min(max(u, 1e-12), 1 - 1e-12))))
    pairs = list(zip(knots, knots[1:], strict=False))
    (z0, y0), (z1, y1) = next(((a, b) for a, b in pairs if z <= b[0]), pairs[-1])
    return math.exp(y0 + (y1 - y0) * (z - z0) / (z1 - z0))


def mixture_sample(params: dict[str, float], rng: random.Random) -> float:
    """A draw from a heavy-tailed mixture of three lognormal modes of the same spread: the main one
    (median ``median_ms``, p95 = ``p95_ratio`` x median), a second one ``second_ratio`` times slower
    for a share ``second_weight`` of requests (a cache miss, a slower query plan), and a rare tail
    ``tail_ratio`` times slower for a share ``tail_weight`` (a lock wait, a retransmission)."""
    u = rng.random()
    ratio = (
        params["tail_ratio"]
        if u < params["tail_weight"]
        else params["second_ratio"]
        if u < params["tail_weight"] + params["second_weight"]
        else 1.0
    )
    return rng.lognormvariate(math.log(params["median_ms"] * ratio), math.log(params["p95_ratio"]) / _Z95)


@dataclass(frozen=True, kw_only=True)
class FaultRule:
    """Latency and errors for the endpoints whose stats name matches ``match``."""

    match: str
    latency_ms: float = 0.0
    jitter: Jitter | None = None
    scale: float = 1.0
    error_rate: float = 0.0
    error_status: int = 503

    @classmethod
    def from_dict(cls, data: Any) -> FaultRule:
        if not isinstance(data, dict):
            raise FaultSpecError(f"a rule must be an object, got {data!r}")
        unknown = set(data) - RULE_KEYS
        if unknown:
            raise FaultSpecError(f"unknown keys {sorted(unknown)}; a rule takes {sorted(RULE_KEYS)}")
        match = data.get("match")
        if not isinstance(match, str) or not match.strip():
            raise FaultSpecError(
                f"match must be a non-empty glob such as 'GET /api/dashboard/', got {match!r}"
            )
        status = data.get("error_status", 503)
        if status not in ERROR_STATUSES or isinstance(status, bool):
            raise FaultSpecError(f"error_status must be one of {list(ERROR_STATUSES)}, got {status!r}")
        jitter = data.get("jitter")
        return cls(
            match=match.strip(),
            latency_ms=_number(data.get("latency_ms", 0), "latency_ms", low=0.0, high=MAX_MS),
            jitter=None if jitter is None else Jitter.from_dict(jitter),
            scale=_number(data.get("scale", 1.0), "scale", low=0.0, high=MAX_SCALE),
            error_rate=_number(data.get("error_rate", 0.0), "error_rate", low=0.0, high=1.0),
            error_status=status,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "match": self.match,
            "latency_ms": self.latency_ms,
            "jitter": None if self.jitter is None else self.jitter.to_dict(),
            "scale": self.scale,
            "error_rate": self.error_rate,
            "error_status": self.error_status,
        }

    def delay_s(self, rng: random.Random) -> float:
        ms = self.latency_ms + (self.jitter.sample_ms(rng) if self.jitter else 0.0)
        return min(ms * self.scale, MAX_MS) / 1000.0


def parse_rules(data: Any) -> list[FaultRule]:
    """Rules from their JSON form: a list, or ``{"rules": [...]}`` as ``GET /__sandbox/faults`` returns."""
    if isinstance(data, dict) and set(data) == {"rules"}:
        data = data["rules"]
    if not isinstance(data, list):
        raise FaultSpecError('fault rules must be a list of rules or {"rules": [...]}')
    rules = []
    for index, item in enumerate(data, start=1):
        try:
            rules.append(FaultRule.from_dict(item))
        except FaultSpecError as exc:
            raise FaultSpecError(f"rule {index}: {exc}") from None
    return rules


def parse_cli_rule(spec: str) -> FaultRule:
    """One rule from its ``--fault`` form, e.g. ``'GET /api/dashboard/=latency:50,errors:0.1'``."""
    match, sep, items = spec.rpartition("=")
    if not sep or not match.strip():
        raise FaultSpecError(
            f"--fault {spec!r}: expected PATTERN=ITEM,... e.g. 'GET /api/dashboard/=latency:50'"
        )
    data: dict[str, Any] = {"match": match}
    try:
        for item in filter(None, (part.strip() for part in items.split(","))):
            key, *values = item.split(":")
            data.update(_cli_item(key, values))
        return FaultRule.from_dict(data)
    except (FaultSpecError, ValueError) as exc:
        raise FaultSpecError(f"--fault {spec!r}: {exc}") from None


def _cli_item(key: str, values: list[str]) -> dict[str, Any]:
    simple = {"latency": "latency_ms", "scale": "scale", "errors": "error_rate", "status": "error_status"}
    if key in simple and len(values) == 1:
        return {simple[key]: int(values[0]) if key == "status" else float(values[0])}
    if key == "jitter" and values and values[0] in JITTER_PARAMS:
        names = JITTER_PARAMS[values[0]]
        if len(values) - 1 != len(names):
            raise FaultSpecError(f"jitter:{values[0]} takes {':'.join(n.upper() for n in names)}")
        return {
            "jitter": {
                "distribution": values[0],
                **{n: float(v) for n, v in zip(names, values[1:], strict=True)},
            }
        }
    raise FaultSpecError(
        f"unknown item {':'.join([key, *values])!r}; items are latency:MS, "
        "jitter:lognormal:MEDIAN:P95_RATIO, jitter:uniform:MAX, jitter:exponential:MEAN, "
        "jitter:quantiles:P50:P90:P95:P99, "
        "jitter:mixture:MEDIAN:P95_RATIO:SECOND_RATIO:SECOND_WEIGHT:TAIL_RATIO:TAIL_WEIGHT, "
        "scale:X, errors:RATE, status:500|503"
    )


class FaultInjector:
    """The rules in force and a seedable random source; decides the fate of each request."""

    def __init__(self, rules: list[FaultRule] | None = None, *, seed: int | None = None) -> None:
        self.rng = random.Random(None if seed is None else f"faults-{seed}")
        self._rules: list[FaultRule] = []
        self._by_name: dict[str, FaultRule | None] = {}
        self.replace(rules or [])

    @property
    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def replace(self, rules: list[FaultRule]) -> None:
        # Both assignments happen without a yield, so a request sees the old or the new rules.
        self._rules = list(rules)
        self._by_name = {}

    def rule_for(self, name: str) -> FaultRule | None:
        try:
            return self._by_name[name]
        except KeyError:
            rule = next((r for r in self._rules if fnmatchcase(name, r.match)), None)
            if len(self._by_name) < 1024:  # unknown paths have arbitrary names: keep the cache bounded
                self._by_name[name] = rule
            return rule

    def decide(self, rule: FaultRule) -> tuple[float, int | None]:
        """Seconds to wait and the error status to answer with (None: answer normally)."""
        delay = rule.delay_s(self.rng)
        failed = rule.error_rate > 0 and self.rng.random() < rule.error_rate
        return delay, rule.error_status if failed else None
