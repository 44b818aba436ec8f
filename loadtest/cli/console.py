"""What the commands share at the console: one-line usage errors, one-line failures, logs on stderr."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import NoReturn

from loadtest.exitcodes import ExitCode


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line and exits with ExitCode.USAGE."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message} (see --help)\n")


def fail(message: str, code: ExitCode) -> ExitCode:
    """Print ``message`` as one line on stderr and return ``code``."""
    print(message, file=sys.stderr, flush=True)
    return code


def log_to_stderr() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
