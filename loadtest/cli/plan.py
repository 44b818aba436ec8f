"""``loadtest plan`` (scripts/plan_run.py): a workflow run's preset, time limit, and whether it may
become the baseline.

Reads GITHUB_EVENT_NAME, GITHUB_REF, GITHUB_EVENT_PATH (for the default branch) and
REQUESTED_PRESET (the workflow_dispatch input); writes ``preset``, ``timeout-minutes`` and
``record-baseline`` to $GITHUB_OUTPUT and prints them. Needs nothing but the standard library:
the workflow's Plan job runs it before anything is installed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from loadtest.ci_plan import plan_for_event
from loadtest.cli.console import command_parser
from loadtest.exitcodes import ExitCode
from loadtest.github.actions import default_branch, load_event, write_outputs
from loadtest.presets import PresetError

EXIT_CODES_HELP = """\
Exit codes:
  0  planned
  2  the requested preset does not exist
"""


def main(argv: Sequence[str] | None = None) -> int:
    command_parser(
        "plan_run.py",
        "Decide the preset, the job time limit and whether the run may become the baseline, "
        "from the GitHub event in the environment.",
        EXIT_CODES_HELP,
        one_line=True,
    ).parse_args(argv)
    env = os.environ
    try:
        plan = plan_for_event(
            env.get("GITHUB_EVENT_NAME", ""),
            env.get("REQUESTED_PRESET", "").strip(),
            env.get("GITHUB_REF", ""),
            default_branch(load_event(env.get("GITHUB_EVENT_PATH", ""))),
        )
    except PresetError as exc:
        print(f"plan_run: error: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    print("\n".join(f"{key}={value}" for key, value in plan.outputs().items()))
    write_outputs(plan.outputs())
    return ExitCode.OK


if __name__ == "__main__":  # the workflow's Plan job: python3 -m loadtest.cli.plan
    raise SystemExit(main())
