"""The test tiers, checked in their source: tests/unit starts nothing; integration and e2e are marked slow.

``pytest -m "not slow"`` is then exactly the unit tier: no process, no server, no socket (the unit
conftest also refuses them while the tests run).
"""

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

TESTS = ROOT / "tests"
UNIT_MODULES = sorted((TESTS / "unit").rglob("*.py"))
SLOW_MODULES = sorted([*(TESTS / "integration").rglob("test_*.py"), *(TESTS / "e2e").rglob("test_*.py")])

PROCESS_MODULES = {
    "subprocess",
    "socket",
    "socketserver",
    "http.server",
    "multiprocessing",
    "loadtest.sandbox.process",
    "loadtest.sandbox.server",
    "tests.example_api",
    "tools.postgres",
}
"""Modules that start processes or serve sockets (a submodule counts as its parent)."""
STARTERS = {
    "running_sandbox",
    "start_sandbox",
    "start_server",
    "run_command",
    "run_loadtest",
    "run_tools",
    "serve_until_signalled",
    "running_example_api",
    "PostgresCluster",
    "FakeGitHub",
    "start_locust",
    "run_locust",
    "locust_runner",
    "call_locust",
    "run_plan",
    "run_into_bundle",
    "measure_locust",
    "run_wrk",
    "run_all",
}
"""What starts the sandbox, the example API, PostgreSQL, the fake GitHub, Locust, wrk, a calibration or a
command."""
UNIT_CONFTEST = TESTS / "unit" / "conftest.py"
"""Imports subprocess and socket only to refuse them: exempt from the import rule."""


def starts_something(source: str) -> list[str]:
    """The process modules and starters a module imports or uses, in order of appearance."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules, names = [alias.name for alias in node.names], []
        elif isinstance(node, ast.ImportFrom):
            modules, names = [node.module or ""], [alias.name for alias in node.names]
        elif isinstance(node, ast.Attribute):
            modules, names = [], [node.attr]
        else:
            continue
        found += [m for m in modules if any(m == p or m.startswith(p + ".") for p in PROCESS_MODULES)]
        found += [name for name in names if name in STARTERS]
    return found


def is_marked_slow(source: str) -> bool:
    """Whether the module sets ``pytestmark`` to ``pytest.mark.slow`` (alone or in a list)."""
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets
        ):
            marks = node.value.elts if isinstance(node.value, ast.List | ast.Tuple) else [node.value]
            return any(ast.unparse(mark) == "pytest.mark.slow" for mark in marks)
    return False


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("module", SLOW_MODULES, ids=relative)
def test_every_integration_and_e2e_module_is_marked_slow(module):
    assert is_marked_slow(module.read_text(encoding="utf-8")), (
        f"{relative(module)}: add `pytestmark = pytest.mark.slow` below its imports"
    )


@pytest.mark.parametrize("module", [m for m in UNIT_MODULES if m != UNIT_CONFTEST], ids=relative)
def test_no_unit_module_starts_a_process_a_server_or_a_socket(module):
    assert starts_something(module.read_text(encoding="utf-8")) == [], (
        f"{relative(module)}: call the code in-process (a command's main with call_main), "
        "or move the test to tests/integration"
    )


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("import subprocess", ["subprocess"]),
        ("import http.server", ["http.server"]),
        ("from socket import create_connection", ["socket"]),
        ("from loadtest.sandbox import running_sandbox", ["running_sandbox"]),
        ("from loadtest.sandbox.process import SandboxError", ["loadtest.sandbox.process"]),
        ("import loadtest.sandbox as s\ns.running_sandbox(api_key='k')", ["running_sandbox"]),
        ("def f():\n    from tests.example_api import EXAMPLE", ["tests.example_api"]),
        ("from loadtest.sandbox import sandbox_args", []),
        ("from tests.conftest import ROOT, run_loadtest", ["run_loadtest"]),
        ("from loadtest.run.locust import locust_command", []),
        ("import subprocessing_helpers", []),
    ],
)
def test_the_check_sees_imports_anywhere_in_a_module(source, found):
    assert starts_something(source) == found


@pytest.mark.parametrize(
    ("source", "marked"),
    [
        ("import pytest\npytestmark = pytest.mark.slow", True),
        ("pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]", True),
        ("pytestmark = pytest.mark.timeout(60)", False),
        ("def test_x():\n    pytestmark = pytest.mark.slow", False),
        ("@pytest.mark.slow\ndef test_x(): ...", False),
    ],
)
def test_only_a_module_level_slow_mark_counts(source, marked):
    assert is_marked_slow(source) is marked
