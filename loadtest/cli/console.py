"""What the commands share at the console: one-line usage errors, one-line failures, logs on stderr."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

from loadtest.exitcodes import ExitCode
from loadtest.output_paths import OutPathError, check_out_file, check_out_folder
from loadtest.text.untrusted import console_text

MAX_ERROR_LINE = 2000
"""An error line quotes what it refuses (a field's value, a name): a long one is cut."""


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line and exits with ExitCode.USAGE."""

    def error(self, message: str) -> NoReturn:
        # The message quotes the value refused, which may hold a newline and a workflow command.
        self.exit(
            ExitCode.USAGE,
            console_text(f"{self.prog}: error: {message} (see --help)", limit=MAX_ERROR_LINE) + "\n",
        )


def fail(message: str, code: ExitCode) -> ExitCode:
    """Print ``message`` as one line on stderr and return ``code``.

    Messages quote the input they refuse, which a pull request may have written: shown through
    console_text, so a newline or a ``::command`` in it stays inert in the workflow's log.
    """
    print(console_text(message, limit=MAX_ERROR_LINE), file=sys.stderr, flush=True)
    return code


def refuse_bad_outputs(
    prog: str,
    *,
    folders: Mapping[str, Path | None] | None = None,
    files: Mapping[str, Path | None] | None = None,
) -> ExitCode | None:
    """USAGE, after one line naming the first output (option -> path; None: not given) that cannot be
    written; None when every one can. Called before any work, so a bad path loses nothing."""
    try:
        for option, path in (folders or {}).items():
            if path is not None:
                check_out_folder(path, option)
        for option, path in (files or {}).items():
            if path is not None:
                check_out_file(path, option)
    except OutPathError as exc:
        return fail(f"{prog}: error: {exc}", ExitCode.USAGE)
    return None


def log_to_stderr() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)


def command_parser(
    prog: str, description: str, exit_codes_help: str, *, one_line: bool = True
) -> argparse.ArgumentParser:
    """A command's parser, with its exit codes (and any notes) under the options in ``--help``.

    ``one_line``: usage errors are one line (OneLineParser), as every command's are: a bad option (``--seed
    1e5``) is then one line naming it, not the whole usage.
    """
    parser_class = OneLineParser if one_line else argparse.ArgumentParser
    return parser_class(
        prog=prog,
        description=description,
        epilog=exit_codes_help,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def positive_int(text: str) -> int:
    """An argparse type: a whole number >= 1."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return int(text)


def optional_path(text: str) -> Path | None:
    """An argparse type: a path, or None for an empty value (a workflow passes an unset input as "")."""
    return Path(text) if text.strip() else None


def add_presets_dir_option(parser: argparse.ArgumentParser, *, relative_to: str) -> None:
    """``--presets-dir DIR``: a folder of more presets (NAME.conf) beside the built-in ones; empty or
    absent: $LOADTEST_PRESETS_DIR (loadtest.settings)."""
    parser.add_argument(
        "--presets-dir",
        type=optional_path,
        metavar="DIR",
        help=f"a folder of more presets (NAME.conf), relative to {relative_to} "
        "(default: $LOADTEST_PRESETS_DIR)",
    )
