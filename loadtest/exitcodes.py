"""The exit codes of every command, defined once.

Each command's ``--help`` says what its codes mean for it; the numbers mean the same everywhere.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """Done: the gate passed (warnings allowed), or the step did what it was asked."""
    FAILED = 1
    """The gate failed (a limit or a regression), or GitHub refused after bounded retries."""
    USAGE = 2
    """Bad input: a usage error, a malformed file or setting; one line says which and what is wrong."""
    NOT_MEASURED = 3
    """Nothing could be measured (the target, the API key or the account refused; no request
    succeeded), or the comment step refused to post (the pull request is not at the tested commit)."""
    INCOMPLETE = 4
    """The run was interrupted (SIGINT or SIGTERM) before its run time was over: never a pass, whatever
    its numbers say, since they are not the preset's."""
