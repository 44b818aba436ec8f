"""The research commands, one module per command, each with ``main(argv=None) -> int``, run as
``python -m tools COMMAND`` from the repository root, dispatched as loadtest's own commands are."""

from __future__ import annotations

from collections.abc import Sequence

from loadtest.cli import dispatch

COMMANDS = {
    "calibrate": "measure the gate's false alarms and detection on the stand-in API",
    "bench-sandbox": "benchmark the stand-in API against a bare gevent hello-world",
    "bench-generator": "benchmark the load generator's CPU per 1,000 requests",
    "example-trials": "A/A and N+1 trials of a pull request's check on the example API (PostgreSQL)",
    "capacity": "the highest request rate this machine reaches with 1 and 2 Locust workers",
}


def main(argv: Sequence[str] | None = None) -> int:
    return dispatch("python -m tools", "tools.cli", COMMANDS, argv)
