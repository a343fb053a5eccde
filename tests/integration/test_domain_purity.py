"""The domain imports the standard library, itself and eventsourcing.domain/utils only.

import-linter cannot forbid sub-packages of an external package, so this
test checks the eventsourcing part of the rule.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).parents[2] / "domain"
ALLOWED_EXTERNAL = {"eventsourcing.domain", "eventsourcing.utils"}
FORBIDDEN_STDLIB = {"os", "sqlite3", "socket", "subprocess", "time", "random", "logging"}


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_domain_modules_import_nothing_with_io() -> None:
    """Every import in domain/ is pure: stdlib without I/O or clocks, or the allowed few."""
    offending = []
    for path in sorted(DOMAIN.glob("*.py")):
        for name in _imports(path):
            top = name.split(".")[0]
            pure_stdlib = top in sys.stdlib_module_names and top not in FORBIDDEN_STDLIB
            if not (pure_stdlib or top == "domain" or name in ALLOWED_EXTERNAL):
                offending.append(f"{path.name}: {name}")
    assert offending == []
