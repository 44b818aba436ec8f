"""The commands: one ``main`` per loadtest.cli module, run by ``loadtest NAME`` and by three-line shims.

That each runs from a shell is tests/integration/test_entry_points.py; here ``main`` runs in-process.
"""

import ast
import re
from pathlib import Path

import pytest

from loadtest import cli
from loadtest.exitcodes import ExitCode
from tests.conftest import ROOT

SCRIPTS = sorted((ROOT / "scripts").glob("*.py"))
SHIM_NAMES = {"run_tests": "run", "plan_run": "plan"}
"""Scripts whose command has another name; every other scripts/NAME.py runs ``loadtest NAME``."""
SOURCES = [*ROOT.glob("loadtest/**/*.py"), *SCRIPTS, *ROOT.glob("tests/**/*.py"), ROOT / "locustfile.py"]


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


@pytest.mark.parametrize("name", cli.COMMANDS)
def test_every_command_documents_its_exit_codes_in_its_help(name, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main([name, "--help"])

    assert done.value.code in (0, None)
    text = capsys.readouterr().out
    assert re.search(r"^exit codes:$", text, re.MULTILINE | re.IGNORECASE), text
    assert "also in ``--help``" not in text


def test_loadtest_lists_its_commands_and_refuses_an_unknown_one(capsys):
    assert cli.main(["--help"]) == ExitCode.OK
    listed = capsys.readouterr().out
    assert all(f"  {name} " in listed for name in cli.COMMANDS)
    assert cli.main(["nope"]) == ExitCode.USAGE
    assert "unknown command 'nope'" in capsys.readouterr().err
