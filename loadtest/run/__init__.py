"""Running Locust: one way, for the runner, the calibration and the benchmarks.

Modules, one concept each: ``plan`` (RunPlan, built from a preset plus overrides), ``target``
(the user's host, the API started from a checkout or the stand-in started for the run, and the
preflight), ``server`` (the API started from a checkout: setup, start, readiness, stop),
``locust`` (the Locust process: command line, environment, start, output relay with secrets
masked, deadline and stop) and ``execute`` (``run_plan``: a plan into a bundle, with run.json
written through RunFacts).
"""

from loadtest.run.execute import check_measured, run_plan
from loadtest.run.plan import Overrides, Profile, RunError, RunPlan, checked_host, plan_run
from loadtest.run.target import Target, target_for

__all__ = [
    "Overrides",
    "Profile",
    "RunError",
    "RunPlan",
    "Target",
    "check_measured",
    "checked_host",
    "plan_run",
    "run_plan",
    "target_for",
]
