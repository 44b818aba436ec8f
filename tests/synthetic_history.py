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
from dataclasses import dataclass, replace
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
    (1: a step), and back to its old speed from run ``end`` (None: never)."""

    endpoint: str = STEP_ENDPOINT
    size: float = 0.08
    start: int = 200
    over: int = 1
    metric: str = "typical"
    end: int | None = None

    def factor(self, run: int) -> float:
        if run < self.start or (self.end is not None and run >= self.end):
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


MIN_LEVEL_MS = 0.2
"""A measured typical time below this is no level to scale from: the long history keeps 0.01 ms."""


def scaled_rows(base: Path, levels: Path | None) -> dict[str, tuple[float, ...]]:
    """``base``'s rows, each with the latencies and requests/s ``levels`` measured for it (when it
    measured a usable typical time) and ``base``'s request count, which sets the sampling noise."""
    rows = base_rows(base)
    if levels is None:
        return rows
    measured = base_rows(levels)
    return {
        name: (*measured[name][:5], row[5]) if measured[name][0] >= MIN_LEVEL_MS else row
        for name, row in rows.items()
    }


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
    seed: int,
    *,
    runs: int = 300,
    effect: Effect | None = None,
    base: Path = GATE_FIXTURES / "baseline",
    levels: Path | None = None,
    preset: str = "medium",
    last_night: datetime | None = None,
) -> LongHistory:
    """``runs`` nightly runs of ``preset`` on the stand-in, one a night from FIRST_NIGHT (or up to
    ``last_night``), scaled from the bundle at ``base``, or with ``levels`` from that bundle's
    latencies (a short real run of this machine) and ``base``'s sampling noise (see scaled_rows)."""
    first = FIRST_NIGHT if last_night is None else last_night - timedelta(days=runs - 1)
    model = LatencyModel(name="mixture")
    rng = random.Random(f"history-{seed}")
    history = []
    for run in range(runs):
        speed = model.speed_factor(seed * 100_000 + run)
        rows = {}
        for name, (typical, p50, p95, p99, rps, requests) in scaled_rows(base, levels).items():
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
        ended = first + timedelta(days=run)
        history.append(
            LongRun(
                commit=commit_of(seed, run),
                ended_at=ended.strftime("%Y-%m-%dT%H:%M:%SZ"),
                preset=preset,
                target="sandbox",
                rows=rows,
            )
        )
    return LongHistory(runs=tuple(history))


REHEARSAL_SEED = 26
REHEARSAL_STEP = Effect(size=0.5, start=60)
"""The act rehearsal's step (tests/e2e/test_workflows_act.py): +50% on one endpoint, 60 nights in.
Large beside the 4% of the mixture model, as it must be for one night that is no synthetic night (a
real run on a busy machine, at any speed and on any endpoint) to change nothing: tests/unit/
test_nightly_rehearsal.py appends such nights. The +8% of the measurement is tests/unit/test_changes.py's."""
NIGHTS_AFTER_STEP = 15
"""Nights at the new speed before the first night: the step is 15 days old, inside the summary's 30."""
NIGHTS_RETURNED = 15
"""Nights back at the old speed before the third: enough for a change point of their own."""


def rehearsal_nights(
    *, tonight: datetime, levels: Path | None = None, preset: str = "quick"
) -> tuple[LongHistory, LongHistory, LongHistory]:
    """The long histories of the rehearsal's three nights, each ending the night before ``tonight``:
    the step with NIGHTS_AFTER_STEP nights after it; one night more; that night and NIGHTS_RETURNED
    nights at the old speed (the series returned: the step's is no longer the last change point)."""
    after = REHEARSAL_STEP.start + NIGHTS_AFTER_STEP
    yesterday = tonight - timedelta(days=1)

    def nights(runs: int, effect: Effect) -> LongHistory:
        return nightly_history(
            REHEARSAL_SEED, runs=runs, effect=effect, levels=levels, preset=preset, last_night=yesterday
        )

    returned = replace(REHEARSAL_STEP, end=after + 1)
    return (
        nights(after, REHEARSAL_STEP),
        nights(after + 1, REHEARSAL_STEP),
        nights(after + 1 + NIGHTS_RETURNED, returned),
    )
