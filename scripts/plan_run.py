#!/usr/bin/env python3
"""Decide the preset, the job time limit and whether the run may become the baseline.

Reads GITHUB_EVENT_NAME, GITHUB_REF, GITHUB_EVENT_PATH (for the default branch)
and REQUESTED_PRESET (the workflow_dispatch input); writes ``preset``,
``timeout-minutes`` and ``record-baseline`` to $GITHUB_OUTPUT and prints them.
Exit 0, or 2 when the requested preset does not exist.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loadtest.ci_plan import plan_for_event  # noqa: E402
from loadtest.github.actions import write_outputs  # noqa: E402
from loadtest.presets import PresetError  # noqa: E402


def default_branch(event_path: str) -> str:
    try:
        event = json.loads(Path(event_path).read_text(encoding="utf-8")) if event_path else {}
    except (OSError, ValueError):
        event = {}
    return (event.get("repository") or {}).get("default_branch") or "main"


def main() -> int:
    env = os.environ
    try:
        plan = plan_for_event(
            env.get("GITHUB_EVENT_NAME", ""),
            env.get("REQUESTED_PRESET", "").strip(),
            env.get("GITHUB_REF", ""),
            default_branch(env.get("GITHUB_EVENT_PATH", "")),
        )
    except PresetError as exc:
        print(f"plan_run: error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(f"{key}={value}" for key, value in plan.outputs().items()))
    write_outputs(plan.outputs())
    return 0


if __name__ == "__main__":
    sys.exit(main())
