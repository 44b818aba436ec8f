"""Talking to the Actions runner: annotations, step outputs, the event payload, untrusted text.

Outside Actions (no ``GITHUB_ACTIONS=true``) annotations print as plain ``notice: ...``
lines, so the scripts read well in a terminal too.
"""

from __future__ import annotations

import json
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from loadtest.config import ConfigError
from loadtest.github.environment import GitHubEnv


def in_actions(environ: Mapping[str, str] | None = None) -> bool:
    return GitHubEnv.from_environ(environ).in_actions


def escape_data(text: str) -> str:
    """Workflow-command escaping of a message: %, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Workflow-command escaping of a property value (``title=``): as data, plus : and ,."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(level: str, message: str, *, title: str = "") -> str:
    """``::warning title=T::message``, escaped."""
    properties = f" title={escape_property(title)}" if title else ""
    return f"::{level}{properties}::{escape_data(message)}"


def annotate(
    level: str, message: str, *, environ: Mapping[str, str] | None = None, stream: TextIO | None = None
) -> None:
    """One ``::notice::`` / ``::warning::`` / ``::error::`` line (plain ``level: message`` locally)."""
    out = stream or sys.stdout
    if in_actions(environ):
        print(workflow_command(level, message), file=out, flush=True)
    else:
        print(f"{level}: {message}", file=out, flush=True)


class StepOutputError(Exception):
    """$GITHUB_OUTPUT cannot be appended to: the command's one line says so (loadtest.cli.dispatch)."""


def write_outputs(outputs: Mapping[str, str], *, environ: Mapping[str, str] | None = None) -> None:
    """Append ``key=value`` lines to $GITHUB_OUTPUT when the runner provides it."""
    path = GitHubEnv.from_environ(environ).output
    if not path:
        return
    check_outputs(outputs)
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.writelines(f"{key}={value}\n" for key, value in outputs.items())
    except OSError as exc:
        raise StepOutputError(
            f"cannot append the step outputs to $GITHUB_OUTPUT ({path!r}): {exc.strerror}"
        ) from None


def check_outputs(outputs: Mapping[str, str]) -> None:
    """ValueError unless every output is one ``key=value`` line: checked before any is printed or
    written, since a newline in a value (a path) would start a line of its own, a workflow command."""
    for key, value in outputs.items():
        if any(char in key + value for char in "\r\n") or "=" in key:
            raise ValueError(f"step output {key!r} must be a single line, got {value[:200]!r}")


def append_step_summary(markdown: str, *, environ: Mapping[str, str] | None = None) -> None:
    """Append to $GITHUB_STEP_SUMMARY when the runner provides it. The job summary is a view of what
    the step wrote elsewhere: when it cannot be written, one warning on stderr, and the step goes on
    (its outputs and its exit code are what the workflow acts on)."""
    if path := GitHubEnv.from_environ(environ).step_summary:
        try:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(markdown)
        except OSError as exc:
            print(f"warning: cannot append to the step summary {path!r}: {exc.strerror}", file=sys.stderr)


def run_url(environ: Mapping[str, str] | None = None) -> str | None:
    """This workflow run's page (GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID); None outside one."""
    github = GitHubEnv.from_environ(environ)
    server = github.server_url or "https://github.com"
    repository, run = github.repository, github.run_id
    if not (repository and run.isdigit()):
        return None
    return f"{server.rstrip('/')}/{repository}/actions/runs/{run}"


def artifact_pointer(
    label: str, file_name: str, artifact: str | None, *, environ: Mapping[str, str] | None = None
) -> str:
    """Markdown that says where a file of the run's artifacts is: ``**Trend page:** `trend.html` in the
    artifact `NAME` ([the run's artifacts](URL))``, with as much as is known."""
    where = f" in the artifact `{artifact.replace('`', '')}`" if artifact else ""
    url = run_url(environ)
    link = f" ([the run's artifacts]({url}#artifacts))" if url else ""
    return f"**{label}:** `{file_name}`{where}{link}."


class EventError(ConfigError):
    """GITHUB_EVENT_PATH names a file that is not a readable JSON object."""


def load_event(event_path: str) -> dict[str, Any]:
    """The event payload at GITHUB_EVENT_PATH, or {} when there is none (local use); EventError when
    the file named cannot be read as a JSON object: a plan from an empty event would be a wrong one
    (a pull request taken for a dispatch), and the runner always writes a readable one."""
    if not event_path:
        return {}
    try:
        data = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise EventError(f"GITHUB_EVENT_PATH ({event_path!r}) cannot be read: {exc.strerror}") from None
    except ValueError as exc:
        raise EventError(f"GITHUB_EVENT_PATH ({event_path!r}) is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise EventError(
            f"GITHUB_EVENT_PATH ({event_path!r}) holds a {type(data).__name__}, not a JSON object"
        )
    return data


def print_untrusted(
    text: str, *, environ: Mapping[str, str] | None = None, stream: TextIO | None = None
) -> None:
    """Print text that came from a PR without letting the runner execute ``::commands::`` in it."""
    out = stream or sys.stdout
    if not in_actions(environ):
        print(text, file=out, flush=True)
        return
    fence = secrets.token_hex(16)
    print(f"::stop-commands::{fence}", file=out)
    print(text, file=out)
    print(f"::{fence}::", file=out, flush=True)


def default_branch(event: Mapping[str, Any], fallback: str = "main") -> str:
    """The repository's default branch named in the event payload, else ``fallback``."""
    repository = event.get("repository")
    branch = repository.get("default_branch") if isinstance(repository, Mapping) else None
    return branch if isinstance(branch, str) and branch else fallback
