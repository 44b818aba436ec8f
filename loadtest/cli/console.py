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


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line and exits with ExitCode.USAGE."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message} (see --help)\n")


def fail(message: str, code: ExitCode) -> ExitCode:
    """Print ``message`` as one line on stderr and return ``code``."""
    print(message, file=sys.stderr, flush=True)
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
    prog: str, description: str, exit_codes_help: str, *, one_line: bool = False
) -> argparse.ArgumentParser:
    """A command's parser, with its exit codes (and any notes) under the options in ``--help``.

    ``one_line``: usage errors are one line (OneLineParser), for the steps whose output a workflow shows.
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
