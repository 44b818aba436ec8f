"""``loadtest venv``: the action's own virtual environment with the pinned uv in it
(loadtest.github.action_venv). Needs nothing but the standard library: the action runs it from its
folder before anything is installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from loadtest.cli.console import command_parser, fail
from loadtest.exitcodes import ExitCode
from loadtest.github.action_venv import UV_PIN, VenvError, make_venv, pinned_uv

EXIT_CODES_HELP = """\
Exit codes:
  0  made
  2  usage error: VENV exists already, or the uv pin cannot be read
  3  the environment could not be made (the failing step and its last line of output)
"""


def main(argv: Sequence[str] | None = None) -> int:
    what = "Make the action's own virtual environment with the pinned uv in it."
    parser = command_parser("loadtest venv", what, EXIT_CODES_HELP)
    parser.add_argument("venv", type=Path, help="the folder of the new environment")
    parser.add_argument("--python", default="python3", help="the interpreter it is made from")
    parser.add_argument("--pins", type=Path, default=Path(UV_PIN), help=f"the uv pin (default: ./{UV_PIN})")
    args = parser.parse_args(argv)
    if args.venv.exists():
        return fail(f"venv: error: {args.venv} exists already", ExitCode.USAGE)
    try:
        pinned_uv(args.pins)
    except VenvError as exc:
        return fail(f"venv: error: {exc}", ExitCode.USAGE)
    try:
        print(f"venv: {make_venv(args.venv, args.python, args.pins)}")
    except (VenvError, OSError) as exc:
        return fail(f"venv: error: {exc}", ExitCode.NOT_MEASURED)
    return ExitCode.OK
