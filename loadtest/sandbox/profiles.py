"""Latency profiles: fault rules that make the stand-in answer as slowly as the real API does.

``realistic`` draws every endpoint's latency from the response times the contract records for
production (``contract.Endpoint.timing``): its median and a tail through its p90, p95 and p99
(``faults.quantile_sample``), so sign-in is as slow as password hashing makes it. ``scale``
multiplies every time: a CI run takes the profile at 0.1, a tenth of the real times.
"""

from __future__ import annotations

from loadtest import contract
from loadtest.sandbox.faults import FaultRule, Jitter

PROFILES = ("realistic",)


def profile_rules(name: str, *, scale: float = 1.0) -> list[FaultRule]:
    """The fault rules of a profile; ValueError for an unknown name."""
    if name != "realistic":
        raise ValueError(f"unknown profile {name!r}; choose one of: {', '.join(PROFILES)}")
    return [
        FaultRule(match=endpoint.name, jitter=_jitter(endpoint.timing), scale=scale)
        for endpoint in contract.API
        if endpoint.timing is not None
    ]


def _jitter(timing: contract.Timing) -> Jitter:
    return Jitter(
        "quantiles", {"p50_ms": timing.p50, "p90_ms": timing.p90, "p95_ms": timing.p95, "p99_ms": timing.p99}
    )
