"""``loadtest plan`` (scripts/plan_run.py): what a workflow run or the action does, from the event and
the action's inputs: the mode, the preset and its time limit, baselines, the comment, the paths.

Reads GITHUB_EVENT_NAME, GITHUB_REF, GITHUB_EVENT_PATH (the default branch, the workflow_run),
GITHUB_WORKFLOW_REF (the workflow file), GITHUB_WORKSPACE (the caller's paths), RUNNER_TEMP (the
action's folder) and GITHUB_RUN_ID / GITHUB_RUN_ATTEMPT (the results artifact's name); writes its
outputs to $GITHUB_OUTPUT and prints them. Needs nothing but the standard library: the Plan job and
the action run it before anything is installed.
"""

from __future__ import annotations

from collections.abc import Sequence

from loadtest.cli.console import add_presets_dir_option, command_parser, fail, optional_path
from loadtest.exitcodes import ExitCode
from loadtest.github.actions import annotate, check_outputs, write_outputs
from loadtest.github.workflow_plan import (
    BASELINE_CHOICES,
    COMMENT_CHOICES,
    COMPARE_BASE_CHOICES,
    Context,
    PlanError,
    Request,
    plan_for_event,
)
from loadtest.presets import PresetError
from loadtest.settings import Settings

EXIT_CODES_HELP = """\
Outputs: mode (load-test, comment or skip), preset, timeout-minutes, record-baseline,
fetch-baseline, comment-artifact, workflow, results-artifact, thresholds, presets-dir, and the
paths venv, bundle-path, summary-path, verdict-path, trend-path, baseline-path, next-baseline-path,
comment-path.

Exit codes:
  0  planned
  2  bad input: an unknown preset or event, a presets folder or thresholds file that cannot be used
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = command_parser(
        "plan_run.py",
        "Decide what this workflow run does: the mode, the preset and the job's time limit, whether to "
        "fetch and record a baseline and write the PR comment, from the GitHub event in the environment.",
        EXIT_CODES_HELP,
        one_line=True,
    )
    parser.add_argument("--preset", default="", help="default: the event's, smoke (medium nightly)")
    add_presets_dir_option(parser, relative_to="the workspace")
    parser.add_argument(
        "--thresholds", type=optional_path, metavar="FILE", help="thresholds file, relative to the workspace"
    )
    parser.add_argument("--baseline", choices=BASELINE_CHOICES, default="auto", help="default: %(default)s")
    parser.add_argument("--comment", choices=COMMENT_CHOICES, default="auto", help="default: %(default)s")
    parser.add_argument(
        "--compare-base", choices=COMPARE_BASE_CHOICES, default="auto", help="default: %(default)s"
    )
    parser.add_argument("--start", default="", help="the action's start command (only whether it is set)")
    args = parser.parse_args(argv)
    request = Request(
        preset=args.preset.strip(),
        presets_dir=args.presets_dir or Settings.from_environ().presets_dir,
        thresholds=args.thresholds,
        baseline=args.baseline,
        comment=args.comment,
        compare_base=args.compare_base,
        start=bool(args.start.strip()),
    )
    try:
        plan = plan_for_event(Context.from_environ(), request)
        outputs = plan.outputs()
        check_outputs(outputs)  # before anything is printed: a newline in a path would start a command
    except (PlanError, PresetError, ValueError) as exc:
        return fail(f"plan_run: error: {exc}", ExitCode.USAGE)
    if plan.reason:
        annotate("notice", f"nothing to do: {plan.reason}")
    print("\n".join(f"{key}={value}" for key, value in outputs.items()))
    write_outputs(outputs)
    return ExitCode.OK


if __name__ == "__main__":  # the Plan job and the action: python3 -m loadtest.cli.plan
    raise SystemExit(main())
