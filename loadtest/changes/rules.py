"""The change-point settings: the ``changes`` section of thresholds.json, each value with its reason."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from loadtest.gate.thresholds import Thresholds


@dataclass(frozen=True, kw_only=True)
class ChangeRules:
    """Defaults are thresholds.json's; a thresholds file without a ``changes`` section gets them."""

    max_pvalue: float = 0.0001
    """A change point's two segments differ at this significance (Otava's two-sided t-test)."""
    min_magnitude: float = 0.05
    """The typical time moved by at least this share (Otava's magnitude: the larger of the two ratios)."""
    min_failure_change: float = 0.005
    """The failure ratio moved by at least this much (absolute: half a percentage point)."""
    min_segment_runs: int = 5
    """Each side of a change point holds at least this many runs: one slow night is the gate's business."""
    window_runs: int = 50
    """Otava's sliding window: it looks for changes within this many runs at a time."""
    recent_days: int = 30
    """The nightly summary lists the change points of this many days."""


def change_rules(thresholds: Thresholds | None) -> ChangeRules:
    """The ``changes`` section of a validated thresholds file (the schema checked each value)."""
    section: dict[str, Any] = dict(thresholds.document.get("changes", {})) if thresholds else {}
    defaults = ChangeRules()
    values = {
        spec.name: type(getattr(defaults, spec.name))(section[spec.name]["value"])  # runs and days: whole
        for spec in fields(ChangeRules)
        if spec.name in section
    }
    return ChangeRules(**values)
