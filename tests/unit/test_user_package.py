"""loadtest.user: the runner and the gate read its status line and production guard without Locust.

Importing Locust patches the standard library through gevent, so the package's ``__init__`` imports
nothing, and the modules read outside a Locust run import neither Locust nor gevent at their top
(``status`` imports gevent inside the functions that run in Locust).
"""

import ast

import pytest

from tests.conftest import ROOT

USER = ROOT / "loadtest" / "user"
READ_OUTSIDE_LOCUST = ["status.py", "safety.py"]


def top_level_imports(source: str) -> set[str]:
    """The top-level package of every import at module level (not inside a function)."""
    found = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_the_package_init_imports_nothing():
    tree = ast.parse((USER / "__init__.py").read_text(encoding="utf-8"))
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]


@pytest.mark.parametrize("name", READ_OUTSIDE_LOCUST)
def test_modules_read_outside_locust_import_neither_locust_nor_gevent(name):
    imports = top_level_imports((USER / name).read_text(encoding="utf-8"))
    patching = imports & {"locust", "gevent"}
    assert not patching, f"loadtest/user/{name} imports {sorted(patching)} at its top"


def test_the_check_sees_a_top_level_locust_import():
    assert top_level_imports("import gevent\nfrom locust import task\ndef f():\n    import os\n") == {
        "gevent",
        "locust",
    }
