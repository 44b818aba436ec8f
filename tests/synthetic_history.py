"""Synthetic long histories for the change-point tests: nightly runs built from a real run bundle
(tests/fixtures/gate/baseline), its latencies scaled run by run as the calibration's mixture model
varies them (tools/calibration/models.py):

* a speed factor per run common to every endpoint (LatencyModel("mixture").speed_factor: lognormal,
  4% spread), as a shared runner gives;
* each endpoint's own sampling noise of the typical time: the standard error of the trimmed log
  mean (loadtest.gate.stats) of as many requests as the bundle's row made, drawn from the model's
  heavy-tailed mixture (loadtest.sandbox.faults.mixture_sample);
* and, when asked, an effect on one endpoint: a step from a run on, or a creep over a range of runs.

The bundle's four endpoints are spread over the contract's 13 names, so a run has 14 rows (with the
aggregate), as a real run of the medium preset does. Everything is drawn from the seed: the same
seed, the same history.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from loadtest.bundle import AGGREGATE, read_results
from loadtest.contract import ENDPOINTS
from loadtest.gate import stats
from loadtest.gate.long_history import COLUMNS, LongHistory, LongRun
from loadtest.sandbox.faults import mixture_sample
from tests.conftest import GATE_FIXTURES
from tools.calibration.models import MIXTURE, LatencyModel

FIRST_NIGHT = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
STEP_ENDPOINT = "GET /api/dashboard/"


@dataclass(frozen=True, kw_only=True)
class Effect:
    """``endpoint`` slower by ``size`` (0.08: 8%) from run ``start``, reached over ``over`` runs
    (1: a step)."""

    endpoint: str = STEP_ENDPOINT
    size: float = 0.08
    start: int = 200
    over: int = 1
    metric: str = "typical"

    def factor(self, run: int) -> float:
        if run < self.start:
            return 0.0
        return self.size * min(1.0, (run - self.start + 1) / self.over)


def commit_of(seed: int, run: int) -> str:
    return hashlib.sha1(f"{seed}-{run}".encode()).hexdigest()


@cache
def base_rows(bundle: Path = GATE_FIXTURES / "baseline") -> dict[str, tuple[float, ...]]:
    """Row -> (typical, p50, p95, p99, rps, requests) of a real results bundle for each of the contract's
    endpoints (the typical time is the histogram's, else p50)."""
    results = read_results(bundle)
    real = list(results.endpoints.values())

    def numbers(row) -> tuple[float, ...]:
        p50, p95, p99 = (row.latency[m] for m in ("p50", "p95", "p99"))
        typical = stats.typical_ms(row.histogram) if row.histogram else p50
        return (typical, p50, p95, p99, row.rps or 1.0, row.requests)

    # an endpoint the bundle measured keeps its own numbers; the others borrow one's, in turn
    rows = {
        endpoint.name: numbers(results.endpoints.get(endpoint.name) or real[n % len(real)])
        for n, endpoint in enumerate(ENDPOINTS)
    }
    rows[AGGREGATE] = numbers(results.aggregate)
    return rows


@cache
def _sampling_sd(requests: int) -> float:
    """Standard error of the log typical time of ``requests`` requests under the mixture model."""
    rng = random.Random(f"sampling-{requests}")
    histogram: dict[float, int] = {}
    for _ in range(requests):
        value = round(mixture_sample(dict(MIXTURE), rng))
        histogram[value] = histogram.get(value, 0) + 1
    return math.sqrt(stats.trimmed_mean_variance(histogram))


def nightly_history(
    seed: int, *, runs: int = 300, effect: Effect | None = None, base: Path = GATE_FIXTURES / "baseline"
) -> LongHistory:
    """``runs`` nightly runs of the medium preset on the stand-in, one a night from FIRST_NIGHT, scaled
    from the bundle at ``base``."""
    model = LatencyModel(name="mixture")
    rng = random.Random(f"history-{seed}")
    history = []
    for run in range(runs):
        speed = model.speed_factor(seed * 100_000 + run)
        rows = {}
        for name, (typical, p50, p95, p99, rps, requests) in base_rows(base).items():
            factor = speed * math.exp(rng.gauss(0.0, _sampling_sd(requests)))
            failure_ratio = 0.0
            if effect and name == effect.endpoint:
                if effect.metric == "failure_ratio":
                    failure_ratio = effect.factor(run)
                else:
                    factor *= 1 + effect.factor(run)
            values = {
                "typical": typical * factor,
                "p50": p50 * factor,
                "p95": p95 * factor,
                "p99": p99 * factor,
                "rps": rps / speed,
                "failure_ratio": failure_ratio,
            }
            rows[name] = tuple(
                round(values[column], 5 if column == "failure_ratio" else 2) for column in COLUMNS
            )
        ended = FIRST_NIGHT + timedelta(days=run)
        history.append(
            LongRun(
                commit=commit_of(seed, run),
                ended_at=ended.strftime("%Y-%m-%dT%H:%M:%SZ"),
                preset="medium",
                target="sandbox",
                rows=rows,
            )
        )
    return LongHistory(runs=tuple(history))
