"""The module graph has no cycle, counting imports inside functions and under TYPE_CHECKING."""

from __future__ import annotations

from pathlib import Path

from tests.support.imports import build_graph, cycles


def test_no_module_imports_itself_round_a_circle() -> None:
    """No group of project modules imports each other in a circle, however indented."""
    graph = build_graph()
    assert "services.bootstrap" in graph and len(graph) > 50  # the tree was read
    assert cycles(graph) == []


def test_a_circle_through_an_indented_import_is_found(tmp_path: Path) -> None:
    """A cycle held apart only by an import inside a function is still a cycle."""
    package = tmp_path / "services"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from services.b import thing\n")
    (package / "b.py").write_text("def thing() -> None:\n    from services import a\n")
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from services.a import x\n"
    )
    graph = build_graph(tmp_path, ["services"])
    assert graph["services.b"] == {"services.a"}
    assert graph["services.c"] == {"services.a"}
    assert cycles(graph) == [["services.a", "services.b"]]


def test_relative_imports_are_resolved(tmp_path: Path) -> None:
    """`from . import x` and `from .x import y` name the modules they mean."""
    package = tmp_path / "infra"
    package.mkdir()
    (package / "__init__.py").write_text("from . import one\n")
    (package / "one.py").write_text("from .two import y\n")
    (package / "two.py").write_text("from infra import one\n")
    graph = build_graph(tmp_path, ["infra"])
    assert graph["infra"] == {"infra.one"}
    assert graph["infra.one"] == {"infra.two"}
    assert cycles(graph) == [["infra.one", "infra.two"]]
