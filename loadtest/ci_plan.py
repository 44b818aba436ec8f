"""What a workflow run should do, decided from the GitHub event: preset, time limit, baseline.

The workflow YAML stays free of logic: it asks ``loadtest.cli.plan`` (``python3 -m loadtest.cli.plan``) and
uses its outputs. The preset's own run time sets the job's time limit, so a
preset file stays the only place that says how long a run takes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from loadtest.presets import load_preset

PR_PRESET = "smoke"
NIGHTLY_PRESET = "medium"
SETUP_MARGIN_MIN = 10
"""Minutes for checkout, install, baseline download, report upload and Locust's shutdown."""


@dataclass(frozen=True)
class CiPlan:
    preset: str
    timeout_minutes: int
    record_baseline: bool
    """Only passing runs on the default branch (push or schedule) may become the baseline."""

    def outputs(self) -> dict[str, str]:
        return {
            "preset": self.preset,
            "timeout-minutes": str(self.timeout_minutes),
            "record-baseline": str(self.record_baseline).lower(),
        }


def plan_for_event(event_name: str, requested_preset: str, ref: str, default_branch: str) -> CiPlan:
    """PRs and pushes run smoke, the nightly schedule a heavier preset, a dispatch what was asked."""
    if event_name == "workflow_dispatch":
        preset = requested_preset or PR_PRESET
    elif event_name == "schedule":
        preset = NIGHTLY_PRESET
    else:
        preset = PR_PRESET
    spec = load_preset(preset)  # raises PresetError for a name that is not a preset
    on_default_branch = ref == f"refs/heads/{default_branch}"
    return CiPlan(
        preset=preset,
        timeout_minutes=math.ceil(spec.run_time_s / 60) + SETUP_MARGIN_MIN,
        record_baseline=event_name in ("push", "schedule") and on_default_branch,
    )
