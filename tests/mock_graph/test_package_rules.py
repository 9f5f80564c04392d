"""Architecture rules the rest of the project relies on."""

from __future__ import annotations

import ast
from pathlib import Path

import mock_graph

PACKAGE = Path(mock_graph.__file__).parent


def test_mock_graph_never_imports_the_harness_or_miro() -> None:
    offenders = []
    for path in PACKAGE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}: {n}" for n in names if n.split(".")[0] in ("harness", "mock_miro")
            ]
    assert offenders == []


def test_state_module_has_no_flask() -> None:
    source = (PACKAGE / "models.py").read_text()
    assert "flask" not in source.lower().replace("no flask", "")
