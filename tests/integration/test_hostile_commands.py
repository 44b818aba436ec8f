"""Every command of ``loadtest --help``, fed hostile arguments and files: no traceback, a documented exit
code, and a refusal in one line on stderr with nothing that runs as a workflow command on stdout.

Each command's own parser is read (its options and their types), and each option that takes a number
or a path is given values a careless caller or a fork's pull request could give it. The cases of
issue 21 (Why 6) are pinned with their exact exit code below.
"""

from __future__ import annotations

import argparse
import importlib
from pathlib import Path

import pytest

from loadtest import cli
from loadtest.cli.console import optional_path
from loadtest.exitcodes import ExitCode
from tests.conftest import fixture_bundle_with
from tests.unit import conftest as unit_tier

call_main = unit_tier.call_main
"""The unit tier's fixture: each command's ``main`` in this process (here sockets are allowed)."""

pytestmark = pytest.mark.slow

DOCUMENTED = {int(code) for code in ExitCode}
SAFE_ENV = {"LOADTEST_HOST": "http://127.0.0.1:9", "LOADTEST_RUN_TIME": "1s"}
"""Should a case not be refused, it reaches a closed port (the preflight's exit 3), not a real run: in the
integration tier for that one connection attempt."""
NUMBERS = ("1e5", "abc", "-5", "9" * 5000, "nan", "inf")
MEASURING = {"calibrate", "bench-sandbox", "bench-generator", "capacity", "sandbox"}
"""Commands that measure or serve for minutes once their arguments are accepted ("1e5" is a fine
duration): their cases end with an unknown option, so a value accepted is still refused in one line,
after its type was checked. The stand-in's faults file is read before it serves, so it is opened."""
READ_BEFORE_SERVING = {("sandbox", "--faults-file")}


class _Captured(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser


def parser_of(command: str, monkeypatch: pytest.MonkeyPatch) -> argparse.ArgumentParser:
    """The command's own parser, caught as its ``main`` is about to parse."""

    def capture(self, *_args, **_kwargs):
        raise _Captured(self)

    module = importlib.import_module(f"loadtest.cli.{command.replace('-', '_')}")
    with monkeypatch.context() as patched:
        patched.setattr(argparse.ArgumentParser, "parse_args", capture)
        try:
            module.main([])
        except _Captured as caught:
            return caught.parser
    raise AssertionError(f"{command} parsed no arguments")


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    files = {
        "folder": folder / "a-folder.json",
        "not-utf8": folder / "latin1.json",
        "deep": folder / "deep.json",
        "huge-int": folder / "huge.json",
        "duplicate-key": folder / "dup.json",
        "newline": folder / "new\n::error::forged.json",
        "missing": folder / "missing.json",
    }
    files["folder"].mkdir()
    files["not-utf8"].write_bytes(b'{"reason": "caf\xe9"}')
    files["deep"].write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    files["huge-int"].write_text('{"defaults": {"endpoint": {"p95": ' + "9" * 5000 + "}}}")
    files["duplicate-key"].write_text('{"interrupted": true, "interrupted": false}')
    files["newline"].write_text("{}")
    return files


def cases(command: str, parser: argparse.ArgumentParser, files: dict[str, Path]) -> list[list[str]]:
    """``--no-such-option``, and each option that takes a number or a path with each hostile value."""
    found = [["--no-such-option"], ["--seed", "1e5"] if "--seed" in parser._option_string_actions else [""]]
    for action in parser._actions:
        if not action.option_strings or action.nargs == 0:
            continue
        option = action.option_strings[-1]
        if action.type in (Path, optional_path):
            values = [str(path) for path in files.values()]
        elif action.type is not None and action.type is not str:
            values = list(NUMBERS)
        else:
            continue
        poison = (
            ["--no-such-option"]
            if command in MEASURING and (command, option) not in READ_BEFORE_SERVING
            else []
        )
        found += [[option, value, *poison] for value in values]
    return found


def assert_refused_cleanly(ran, what: str) -> None:
    output = ran.stdout + ran.stderr
    assert ran.returncode in DOCUMENTED, f"{what}: exit {ran.returncode}"
    assert "Traceback" not in output, f"{what}: {output[-2000:]}"
    assert not any(line.startswith("::") for line in ran.stdout.splitlines()), f"{what}: {ran.stdout}"
    if ran.returncode == ExitCode.USAGE:
        assert len(ran.stderr.strip().splitlines()) == 1, f"{what}: not one line: {ran.stderr}"


@pytest.mark.parametrize("command", list(cli.COMMANDS))
def test_every_command_refuses_hostile_arguments_and_files_cleanly(
    command, call_main, monkeypatch, hostile_files
):
    argument_cases = cases(command, parser_of(command, monkeypatch), hostile_files)
    assert len(argument_cases) >= 2
    for argv in argument_cases:
        ran = call_main(cli.main, command, *argv, env=SAFE_ENV)
        assert_refused_cleanly(ran, f"loadtest {command} {' '.join(argv)[:80]!r}")
        assert ran.returncode != ExitCode.OK or "--no-such-option" not in argv


def write_preset(folder: Path, name: str, text: str | bytes) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.conf"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return folder


WHY_6 = {
    "thresholds nested 100,000 deep": (["plan", "--thresholds", "{deep}"], "nested deeper than 32"),
    "thresholds with a 5,000-digit integer": (["plan", "--thresholds", "{huge-int}"], "5,000 digits"),
    "thresholds with a key twice": (
        ["plan", "--thresholds", "{duplicate-key}"],
        "'interrupted' appears twice",
    ),
    "thresholds path with a newline": (["plan", "--thresholds", "{newline}"], "single line"),
    "unclosed IPv6 host": (
        ["run", "--host", "http://[::1", "--headless", "-u", "1", "-t", "1s"],
        "not a URL",
    ),
    "--seed 1e5": (["run", "--seed", "1e5"], "invalid int value: '1e5'"),
    "unknown tag": (["run", "--preset", "smoke", "--tags", "nosuchtag"], "unknown tag 'nosuchtag'"),
    "tags selecting nothing": (
        ["run", "--preset", "smoke", "--tags", "auth", "--exclude-tags", "auth"],
        "no task",
    ),
}


@pytest.mark.parametrize(("argv", "says"), list(WHY_6.values()), ids=list(WHY_6))
def test_issue_21_cases_exit_2_with_one_line(argv, says, call_main, hostile_files):
    argv = [arg.format(**hostile_files) if arg.startswith("{") else arg for arg in argv]

    ran = call_main(cli.main, *argv, env={**SAFE_ENV, "GITHUB_ACTIONS": "true"})

    assert ran.returncode == ExitCode.USAGE and ran.stdout == "", ran.stdout + ran.stderr
    assert len(ran.stderr.splitlines()) == 1 and says in ran.stderr, ran.stderr


def test_the_unknown_tag_line_lists_the_known_ones(call_main):
    ran = call_main(cli.main, "run", "--preset", "smoke", "--tags", "nosuchtag", env=SAFE_ENV)

    assert "the tags are: ai, auth, dashboard, help, library, write" in ran.stderr


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (b"# a question\nusers = 5 caf\xe9\n", "not UTF-8"),
        ("users = abc\nrun-time = 1m\n", "users must be a whole number >= 0, got 'abc'"),
        ("users = -5\nrun-time = 1m\n", "users must be a whole number >= 0"),
        ("users = 5\nspawn-rate = nan\n", "spawn-rate must be a number >= 0"),
        ("users = 5\nrun-time = soon\n", "run-time"),
    ],
)
def test_a_broken_preset_file_is_one_line(text, says, call_main, tmp_path):
    presets = write_preset(tmp_path / "presets", "mine", text)

    ran = call_main(cli.main, "run", "--preset", "mine", "--presets-dir", presets, env=SAFE_ENV)

    assert ran.returncode == ExitCode.USAGE and len(ran.stderr.splitlines()) == 1 and says in ran.stderr, (
        ran.stderr
    )


def test_a_preset_that_is_a_folder_is_one_line(call_main, tmp_path):
    presets = tmp_path / "presets"
    (presets / "mine.conf").mkdir(parents=True)

    ran = call_main(cli.main, "run", "--preset", "mine", "--presets-dir", presets, env=SAFE_ENV)

    assert ran.returncode == ExitCode.USAGE and "cannot be read" in ran.stderr, ran.stderr


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (
            {"target": "Sandbox"},
            "field 'target' must be one of 'sandbox', 'external', 'started', got 'Sandbox'",
        ),
        ({"target": "sandbox "}, "field 'target' must be one of"),
        ({"target": "bogus"}, "field 'target' must be one of"),
        ({"users": -5}, "field 'users' must be a whole number >= 0"),
        ({"run_time_s": -1}, "field 'run_time_s' must be a finite number >= 0"),
        ({"schema": 2}, "field 'schema' must be one of 1, got 2"),
    ],
)
def test_run_json_is_validated_field_by_field(change, says, call_main, tmp_path):
    """Why 3: an unknown target would silently drop thresholds.json's target layer."""
    run = fixture_bundle_with(tmp_path, "pass", **change)

    ran = call_main(cli.main, "compare", run)

    assert ran.returncode == ExitCode.USAGE and says in ran.stderr and "run.json" in ran.stderr, ran.stderr


def test_a_key_given_twice_in_run_json_is_refused_naming_file_and_key(call_main, tmp_path):
    run = fixture_bundle_with(tmp_path, "pass")
    text = (run / "run.json").read_text().rstrip().removesuffix("}")
    (run / "run.json").write_text(text + ', "interrupted": true, "interrupted": false}')

    ran = call_main(cli.main, "compare", run)

    assert ran.returncode == ExitCode.USAGE and len(ran.stderr.splitlines()) == 1
    assert "run.json" in ran.stderr and "'interrupted' appears twice" in ran.stderr, ran.stderr
