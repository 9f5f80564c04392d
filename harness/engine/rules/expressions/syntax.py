"""The syntax tree of an expression, and its canonical text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from harness.engine.rules.expressions.dotnet import dotnet_str


@dataclass(frozen=True, slots=True)
class Node:
    position: int


@dataclass(frozen=True, slots=True)
class Attribute(Node):
    name: str


@dataclass(frozen=True, slots=True)
class Constant(Node):
    value: Any  # str, int or float


@dataclass(frozen=True, slots=True)
class Empty(Node):
    """An omitted argument (``Switch([x], , "a", "b")``): evaluates to null."""


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str  # canonical spelling
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Comparison(Node):
    op: str
    left: Node
    right: Node


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(node: Node) -> str:
    """The canonical expression text of a node."""
    if isinstance(node, Attribute):
        return f"[{node.name}]"
    if isinstance(node, Constant):
        if isinstance(node.value, str):
            return quote(node.value)
        return dotnet_str(node.value) or ""
    if isinstance(node, Empty):
        return ""
    if isinstance(node, Comparison):
        return f"{render(node.left)} {node.op} {render(node.right)}"
    assert isinstance(node, Call)
    return f"{node.name}(" + ", ".join(render(a) for a in node.args) + ")"


def walk(node: Node) -> Iterable[Node]:
    yield node
    if isinstance(node, Call):
        for arg in node.args:
            yield from walk(arg)
    elif isinstance(node, Comparison):
        yield from walk(node.left)
        yield from walk(node.right)
