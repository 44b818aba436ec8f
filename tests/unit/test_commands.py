"""The commands: one ``main`` per loadtest.cli module, run by ``loadtest NAME`` (``python -m loadtest
NAME``), two of them also by the three-line shims the README promises; the research commands (tools.cli)
by ``python -m tools NAME``.

That each runs from a shell is tests/integration/test_entry_points.py; here ``main`` runs in-process.
"""

import ast
import re
from pathlib import Path

import pytest

from loadtest import cli
from loadtest.exitcodes import ExitCode
from tests.conftest import ROOT
from tools import cli as tools_cli

SCRIPTS = sorted((ROOT / "scripts").glob("*.py"))
SHIM_NAMES = {"run_tests": "run"}
"""Shims whose command has another name; the other one, compare.py, runs ``loadtest compare``."""
SOURCES = [
    *ROOT.glob("loadtest/**/*.py"),
    *ROOT.glob("tools/**/*.py"),
    *SCRIPTS,
    *ROOT.glob("tests/**/*.py"),
    ROOT / "locustfile.py",
]


def command_of(script: Path) -> str:
    return SHIM_NAMES.get(script.stem, script.stem).replace("_", "-")


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.name)
def test_a_script_is_a_three_line_shim_onto_its_command(script):
    docstring, imported, run = ast.parse(script.read_text(encoding="utf-8")).body
    assert isinstance(docstring, ast.Expr) and isinstance(docstring.value, ast.Constant)
    module = f"loadtest.cli.{command_of(script).replace('-', '_')}"
    assert isinstance(imported, ast.ImportFrom) and imported.module == module
    assert [alias.name for alias in imported.names] == ["main"]
    assert ast.unparse(run) == "raise SystemExit(main())"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.name)
def test_every_script_has_a_command(script):
    assert command_of(script) in cli.COMMANDS


def test_scripts_holds_only_the_two_names_the_readme_promises():
    assert [script.name for script in SCRIPTS] == ["compare.py", "run_tests.py"]


def test_the_stand_in_has_no_way_in_of_its_own():
    assert not (ROOT / "loadtest" / "sandbox" / "__main__.py").exists()  # it is `loadtest sandbox`


def test_nothing_edits_sys_path_or_hides_a_late_import():
    offenders = [
        path.relative_to(ROOT).as_posix()
        for path in SOURCES
        if path != Path(__file__)
        for text in [path.read_text(encoding="utf-8")]
        if "sys.path" in text or "noqa: E402" in text
    ]
    assert offenders == []


def test_loadtest_settings_are_read_only_by_settings_py():
    read = re.compile(r"""(environ|getenv)\b[^\n]*["']LOADTEST_""")
    readers = [
        path.relative_to(ROOT).as_posix()
        for path in ROOT.glob("loadtest/**/*.py")
        if path.name != "settings.py" and read.search(path.read_text(encoding="utf-8"))
    ]
    assert readers == []


def test_no_command_defines_exit_codes_of_its_own():
    constants = re.compile(r"^\s*EXIT_[A-Z_]+\s*=\s*\d", re.MULTILINE)
    assert [
        p.name for p in ROOT.glob("loadtest/**/*.py") if constants.search(p.read_text(encoding="utf-8"))
    ] == []


EVERY_COMMAND = [(cli, "loadtest", name) for name in cli.COMMANDS]
EVERY_COMMAND += [(tools_cli, "python -m tools", name) for name in tools_cli.COMMANDS]


@pytest.mark.parametrize(("package", "prog", "name"), EVERY_COMMAND, ids=lambda p: getattr(p, "__name__", p))
def test_every_command_is_named_as_it_is_called_and_documents_its_exit_codes(package, prog, name, capsys):
    with pytest.raises(SystemExit) as done:
        package.main([name, "--help"])

    assert done.value.code in (0, None)
    text = capsys.readouterr().out
    assert text.startswith(f"usage: {prog} {name} ")
    assert re.search(r"^exit codes:$", text, re.MULTILINE | re.IGNORECASE), text
    assert "also in ``--help``" not in text


@pytest.mark.parametrize("name", ["run", "compare"])
def test_the_commands_that_judge_a_run_document_that_an_interrupted_one_exits_4(name, capsys):
    with pytest.raises(SystemExit):
        cli.main([name, "--help"])

    assert re.search(rf"^  {ExitCode.INCOMPLETE:d}  incomplete: ", capsys.readouterr().out, re.MULTILINE)


@pytest.mark.parametrize(("package", "prog"), [(cli, "loadtest"), (tools_cli, "python -m tools")])
def test_the_dispatcher_lists_its_commands_and_refuses_an_unknown_one(package, prog, capsys):
    assert package.main(["--help"]) == ExitCode.OK
    listed = capsys.readouterr().out
    assert listed.startswith(f"usage: {prog} COMMAND ")
    assert all(f"  {name} " in listed for name in package.COMMANDS)
    assert package.main(["nope"]) == ExitCode.USAGE
    assert f"{prog}: error: unknown command 'nope'" in capsys.readouterr().err


def test_the_research_commands_are_not_loadtest_commands():
    assert set(cli.COMMANDS).isdisjoint(tools_cli.COMMANDS)
