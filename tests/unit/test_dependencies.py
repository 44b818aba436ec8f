"""Every distribution the package imports is one it declares: ``pip install .`` (the action's install)
brings what pyproject.toml names, and requirements.txt pins each for the action and CI.

A module imported only through another's dependency (psutil and gevent come with Locust) works until
that package drops or bounds it; then ``loadtest run`` fails at import on a caller's runner.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from tests.conftest import ROOT

OPTIONAL = {
    "otava": "requirements-changes.txt: installed apart, without its dependencies; missing is DetectorMissing"
}
"""Imported modules that are deliberately not dependencies, and why."""


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_distributions() -> dict[str, str]:
    """Each third-party distribution a module of loadtest/ imports → one such module's path."""
    owners = packages_distributions()
    found = {}
    for path in sorted((ROOT / "loadtest").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for top in {name.partition(".")[0] for name in names}:
                if top in sys.stdlib_module_names or top == "loadtest" or top in OPTIONAL:
                    continue
                for distribution in owners.get(top, [top]):
                    found.setdefault(_canonical(distribution), str(path.relative_to(ROOT)))
    return found


def test_every_imported_distribution_is_declared_and_pinned():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {
        _canonical(re.split(r"[<>=!~;\[ ]", spec)[0]) for spec in pyproject["project"]["dependencies"]
    }
    pinned = {
        _canonical(line.split("==")[0])
        for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    }
    imported = imported_distributions()
    assert imported, "no third-party import found: the scan is broken"
    assert {name: path for name, path in imported.items() if name not in declared} == {}
    assert {name: path for name, path in imported.items() if name not in pinned} == {}
