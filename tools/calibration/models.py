"""The latency models a calibration injects into the stand-in API, as its fault rules.

* ``lognormal``: every endpoint lognormal, median 50 ms, p95 = 2.5 x median, and nothing that
  moves from one run to the next: the model the gate was first calibrated on.
* ``mixture``: every endpoint a heavy-tailed mixture (faults.mixture_sample: a main lognormal
  mode, a second mode 3 x slower for 10% of requests, a tail 10 x slower for 1%), and a speed
  factor per run common to every endpoint (lognormal, 4% spread), as a shared CI runner or a
  network gives: the model an independent measurement found the gate blind under.
* ``realistic``: the stand-in's realistic profile (production's medians and tails from the
  contract, profiles.profile_rules) at a scale, a tenth by default.
* ``heavy``: a model none of the gate's rules were tuned on: every endpoint its own
  median, spread evenly on a log scale from 100 to 300 ms (so a run makes about a third of the
  requests of the others), a heavier second mode and tail than ``mixture`` (15% of requests 3 x
  slower, 2% 15 x slower, main mode p95 2.5 x median), and a larger speed factor per run common
  to every endpoint (8% spread).
* ``reported``: the model a user reported measuring the gate under:
  per-endpoint medians from 30 to 250 ms, a heavy second mode and tail (15% of requests 3 x
  slower, 2% 10 x slower, p95 2 x median) and a 6% speed factor per run common to every endpoint.

Each model's parameters are settings of the calibration (``python -m tools calibrate --help``); the
speed factor can be given to any model (``--run-spread``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from loadtest import contract
from loadtest.sandbox.faults import Jitter
from loadtest.sandbox.profiles import profile_rules

MODELS = ("lognormal", "mixture", "realistic", "heavy", "reported")
LOGNORMAL: Mapping[str, Any] = {"distribution": "lognormal", "median_ms": 50, "p95_ratio": 2.5}
"""The injected latency of the ``lognormal`` model on every endpoint."""
MIXTURE: Mapping[str, Any] = {
    "distribution": "mixture",
    "median_ms": 50,
    "p95_ratio": 2.0,
    "second_ratio": 3.0,
    "second_weight": 0.1,
    "tail_ratio": 10.0,
    "tail_weight": 0.01,
}
"""The injected latency of the ``mixture`` model on every endpoint (faults.mixture_sample)."""
SPREAD_MODELS: Mapping[str, Mapping[str, Any]] = {
    "heavy": {
        "medians_ms": (100.0, 300.0),
        "jitter": {
            "distribution": "mixture",
            "p95_ratio": 2.5,
            "second_ratio": 3.0,
            "second_weight": 0.15,
            "tail_ratio": 15.0,
            "tail_weight": 0.02,
        },
    },
    "reported": {
        "medians_ms": (30.0, 250.0),
        "jitter": {
            "distribution": "mixture",
            "p95_ratio": 2.0,
            "second_ratio": 3.0,
            "second_weight": 0.15,
            "tail_ratio": 10.0,
            "tail_weight": 0.02,
        },
    },
}
"""Models whose endpoints each have their own median, spread evenly on a log scale over the range."""
MEDIANS_ORDER_SEED = "medians"
"""Which endpoint gets which median: a fixed shuffle of the contract's endpoints (the dashboard
lands sixth of 13, near the middle of the range), the same in every run."""
DEFAULT_RUN_SPREAD = {"lognormal": 0.0, "mixture": 0.04, "realistic": 0.0, "heavy": 0.08, "reported": 0.06}
"""Standard deviation of log(speed factor) per run, common to every endpoint, by model."""


@dataclass(frozen=True, kw_only=True)
class LatencyModel:
    """What the stand-in injects in every run of a calibration."""

    name: str = "lognormal"
    mixture: Mapping[str, Any] = field(default_factory=lambda: dict(MIXTURE))
    realistic_scale: float = 0.1
    run_spread: float | None = None
    """None: the model's default (DEFAULT_RUN_SPREAD)."""

    def __post_init__(self) -> None:
        if self.name not in MODELS:
            raise ValueError(f"unknown latency model {self.name!r}; choose one of: {', '.join(MODELS)}")
        if self.name == "mixture":
            Jitter.from_dict(dict(self.mixture))  # FaultSpecError (a ValueError) names a bad parameter

    @property
    def spread(self) -> float:
        return DEFAULT_RUN_SPREAD[self.name] if self.run_spread is None else self.run_spread

    def base_rules(self) -> list[dict[str, Any]]:
        """The fault rules of an unchanged run at speed factor 1."""
        if self.name == "realistic":
            rules = profile_rules("realistic", scale=self.realistic_scale)
            return [_without_defaults(rule.to_dict()) for rule in rules]
        if self.name in SPREAD_MODELS:
            return _spread_rules(SPREAD_MODELS[self.name])
        jitter = LOGNORMAL if self.name == "lognormal" else self.mixture
        return [{"match": "*", "jitter": dict(jitter)}]

    def speed_factor(self, seed: int) -> float:
        """This run's factor on every latency, drawn from its seed: the same run, the same factor."""
        if not self.spread:
            return 1.0
        return math.exp(random.Random(f"speed-{seed}").gauss(0.0, self.spread))

    def describe(self) -> str:
        spread = f"; a speed factor per run common to every endpoint, {self.spread:.0%} spread"
        spread = spread if self.spread else ""
        if self.name == "realistic":
            return f"the stand-in's realistic profile x{self.realistic_scale:g} on every endpoint{spread}"
        if self.name in SPREAD_MODELS:
            spec = SPREAD_MODELS[self.name]
            j = spec["jitter"]
            low, high = spec["medians_ms"]
            return (
                f"a mixture per endpoint, medians {low:g}-{high:g} ms spread evenly on a log scale, "
                f"p95 {j['p95_ratio']:g} x median; {j['second_weight']:.0%} of requests "
                f"{j['second_ratio']:g} x slower, {j['tail_weight']:.0%} {j['tail_ratio']:g} x slower{spread}"
            )
        if self.name == "lognormal":
            return (
                f"lognormal on every endpoint, median {LOGNORMAL['median_ms']} ms, "
                f"p95 {LOGNORMAL['p95_ratio']} x median{spread}"
            )
        m = self.mixture
        return (
            f"a mixture on every endpoint: lognormal median {m['median_ms']:g} ms, p95 {m['p95_ratio']:g} x "
            f"median; {m['second_weight']:.0%} of requests {m['second_ratio']:g} x slower, "
            f"{m['tail_weight']:.0%} {m['tail_ratio']:g} x slower{spread}"
        )


def endpoint_medians(low: float, high: float) -> dict[str, float]:
    """Each contract endpoint's median, log-evenly from ``low`` to ``high`` in a fixed order."""
    names = sorted(endpoint.name for endpoint in contract.API)
    random.Random(MEDIANS_ORDER_SEED).shuffle(names)
    steps = max(len(names) - 1, 1)
    return {name: low * (high / low) ** (i / steps) for i, name in enumerate(names)}


def _spread_rules(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    medians = endpoint_medians(*spec["medians_ms"])
    return [
        {"match": name, "jitter": {**spec["jitter"], "median_ms": round(median, 1)}}
        for name, median in medians.items()
    ]


def faults_for(
    model: LatencyModel, endpoint: str, slowdown: float, factor: float = 1.0
) -> list[dict[str, Any]]:
    """The rules of one run: the model's, ``endpoint`` scaled by 1 + slowdown (first rule wins),
    and every latency times the run's speed factor."""
    rules = model.base_rules()
    if slowdown:
        own = next(rule for rule in rules if rule["match"] in (endpoint, "*"))
        rules.insert(0, _scaled({**own, "match": endpoint}, 1 + slowdown))
    return [_scaled(rule, factor) for rule in rules]


def _scaled(rule: dict[str, Any], factor: float) -> dict[str, Any]:
    if factor == 1:
        return rule
    return {**rule, "scale": rule.get("scale", 1.0) * factor}


def _without_defaults(rule: dict[str, Any]) -> dict[str, Any]:
    defaults = {"latency_ms": 0.0, "scale": 1.0, "error_rate": 0.0, "error_status": 503}
    return {key: value for key, value in rule.items() if defaults.get(key, object()) != value}
