"""When a percentile has enough requests beyond it to be judged at all.

Both ways of judging latency use it: the fixed tolerances (loadtest.gate.regression) and the
history band (loadtest.gate.noise), which falls back to the tolerances.
"""

from __future__ import annotations

from loadtest.bundle import PERCENTILES, EndpointStats

MIN_TAIL = 10
"""Requests beyond a percentile needed to judge it (see ``judgeable``)."""


def judgeable(row: EndpointStats, metric: str) -> bool:
    """A percentile is judged only when at least MIN_TAIL requests were slower than it: the p99 of
    300 requests is the third slowest, and its wild swings would need a band too wide to use."""
    if metric not in PERCENTILES:
        return True
    return row.requests * (1 - PERCENTILES[metric]) >= MIN_TAIL
