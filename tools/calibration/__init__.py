"""Calibration: how often the gate cries wolf, and how small a slowdown it catches, measured.

One command (``python -m tools calibrate``) runs the real locustfile against the stand-in API on
loopback with latency injected on every endpoint by a latency model (``models``: lognormal, a
heavy-tailed mixture with a speed factor per run, or the realistic profile), then:

1. ``K + T`` unchanged runs: a rolling baseline is recorded after each (``loadtest record-baseline``'s
   code, keeping K), so A/A trial ``i`` judges unchanged run ``K + i`` against the K runs before it;
2. ``T`` runs per slowdown X, one endpoint's latency scaled by ``1 + X``, each judged against one
   of those rolling baselines;
3. each trial is judged by every method side by side (``methods``: this gate, its fixed
   tolerances, a t-test over the history's per-run values as Bencher does, the ratio to the
   previous run as github-action-benchmark does), with the thresholds of a real host by default
   (``judging.judging_thresholds``), so the minimum effect that applies to one is what is measured.

Runs execute ``--parallel`` at a time, each against its own sandbox (``running``): injected
latency is a cooperative sleep, so runs share the CPU as long as it is not saturated, which the
report shows (CPU seconds per wall second, the machine's load average, Locust's CPU warnings).
"""

from loadtest.gate.stats import wilson_interval
from tools.calibration.judging import Outcome, Tally, judge
from tools.calibration.methods import FIXED, THIS_GATE, naive_flags
from tools.calibration.models import MODELS, LatencyModel, faults_for
from tools.calibration.report import describe_settings, render_report, render_table, save
from tools.calibration.running import Measured, RunSpec, Settings, log, measured_from, plan_runs, run_all

__all__ = [
    "FIXED",
    "MODELS",
    "THIS_GATE",
    "LatencyModel",
    "Measured",
    "Outcome",
    "RunSpec",
    "Settings",
    "Tally",
    "describe_settings",
    "faults_for",
    "judge",
    "log",
    "measured_from",
    "naive_flags",
    "plan_runs",
    "render_report",
    "render_table",
    "run_all",
    "save",
    "wilson_interval",
]
