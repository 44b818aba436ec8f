"""No import circle in loadtest: its modules' imports, read from the source, form a tree; and the runtime
package never imports the research beside it (tools/, which pip does not install).

Every import counts, the ones inside functions and under ``TYPE_CHECKING`` too: a circle that only
closes at run time (an import inside a function) still ties two modules into one. An edge goes to the
most specific module named (``from loadtest.bundle import rows`` → ``loadtest.bundle.rows``;
``from loadtest.bundle import RunFacts`` → ``loadtest.bundle``, the package's ``__init__``).

Entry points (``__main__`` modules) sit above everything: they may import anything, nothing imports them.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "loadtest"
RESEARCH = ROOT / "tools"


def module_files(package: Path) -> dict[str, Path]:
    """Dotted module name → its file, for every module of ``package`` (a package by its __init__.py)."""
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that module ``name`` (in ``path``) imports, anywhere in its source."""
    is_package = path.name == "__init__.py"
    here = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in known}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[: len(here.split(".")) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            for alias in node.names:
                if f"{source}.{alias.name}" in known:
                    found.add(f"{source}.{alias.name}")
                elif source in known:
                    found.add(source)
    found.discard(name)
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    files = module_files(package)
    return {name: imported(name, path, set(files)) for name, path in files.items()}


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One circle of ``graph`` as ``[a, b, ..., a]``, or None if it has none (depth-first search)."""
    done: set[str] = set()
    path: list[str] = []
    on_path: set[str] = set()

    def visit(node: str) -> list[str] | None:
        path.append(node)
        on_path.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in done and (cycle := visit(nxt)):
                return cycle
        on_path.discard(path.pop())
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done and (cycle := visit(start)):
            return cycle
    return None


def is_entry_point(name: str) -> bool:
    return name.rpartition(".")[2] == "__main__"


def test_loadtest_has_no_import_circle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_nothing_imports_an_entry_point_or_the_command_lines_below_them():
    """The command lines (loadtest.cli) sit on top: only they and the entry points import them."""
    wrong = sorted(
        f"{name} -> {target}"
        for name, targets in import_graph().items()
        for target in targets
        if is_entry_point(target)
        or (
            target.startswith("loadtest.cli")
            and not name.startswith("loadtest.cli")
            and not is_entry_point(name)
        )
    )
    assert not wrong, "imports up the layers: " + ", ".join(wrong)


def top_level_imports(path: Path) -> set[str]:
    """The top-level names of the absolute imports in ``path``, anywhere in its source."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name.partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.partition(".")[0])
    return found


def test_the_runtime_package_never_imports_the_research_tools():
    """tools/ is not installed: an import of it from loadtest/ would fail in every caller's action."""
    wrong = sorted(
        path.relative_to(ROOT).as_posix()
        for path in PACKAGE.rglob("*.py")
        if RESEARCH.name in top_level_imports(path)
    )
    assert wrong == []


def test_the_research_tools_have_no_import_circle():
    cycle = find_cycle(import_graph(RESEARCH))
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_an_import_of_the_research_tools_is_seen_wherever_it_is(tmp_path: Path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from tools.calibration import models\nimport json, tools.bench\n")
    assert top_level_imports(module) == {"json", "tools"}


@pytest.mark.parametrize(
    ("sources", "cycle"),
    [
        ({"a/__init__.py": "", "a/b.py": "from a import c", "a/c.py": "from a import b"}, "a.b a.c a.b"),
        # An import inside a function or under TYPE_CHECKING still counts; relative imports resolve.
        (
            {"a/__init__.py": "", "a/b.py": "def f():\n    from a.c import x", "a/c.py": "from . import b"},
            "a.b a.c a.b",
        ),
        (
            {
                "a/__init__.py": "from a.b import x",
                "a/b.py": "if T:\n    from a.c import y",
                "a/c.py": "import a",
            },
            "a a.b a.c a",
        ),
        # A child naming its parent package's names is no circle while the parent does not import it.
        ({"a/__init__.py": "", "a/b.py": "from a.c import x", "a/c.py": "from a import y"}, None),
    ],
)
def test_the_circle_finder_names_a_circle(tmp_path: Path, sources: dict[str, str], cycle: str | None):
    for relative, text in sources.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    found = find_cycle(import_graph(tmp_path / "a"))
    assert (" ".join(found) if found else None) == cycle
