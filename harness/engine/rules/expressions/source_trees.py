"""Graph's ``attributeMappingSource`` trees (``type`` Attribute, Constant or Function, ``name``,
``parameters`` of ``{key, value}``): from a syntax tree and back."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from harness.engine.rules.expressions.dotnet import dotnet_str
from harness.engine.rules.expressions.functions import FUNCTIONS, FunctionSpec
from harness.engine.rules.expressions.parser import check_arity, parse_root
from harness.engine.rules.expressions.signatures import PARAMETERS
from harness.engine.rules.expressions.syntax import (
    Attribute,
    Call,
    Comparison,
    Constant,
    Empty,
    Node,
    quote,
    render,
)
from harness.engine.rules.expressions.values import ExpressionError

# Parameter keys Graph uses that differ from the documented parameter names (the
# parseExpression example names Replace's oldValue "Find" and replacementValue "Replacement").
_KEY_ALIASES = {("Replace", "find"): "oldValue", ("Replace", "replacement"): "replacementValue"}
_GRAPH_KEYS = {("Replace", "oldValue"): "Find", ("Replace", "replacementValue"): "Replacement"}


def _arrange_arguments(spec: FunctionSpec, pairs: list[tuple[str, Node]]) -> tuple[Node, ...]:
    """Arguments in call order from a tree's ``{key, value}`` parameters.

    Graph leaves empty arguments out of the tree and names the rest by key, so the keys place
    each argument. When a key is not recognised the tree order is used as it is."""
    names = [p[0] for p in PARAMETERS[spec.name]]
    folded = {n.casefold(): n for n in names}
    keyed: list[tuple[str, Node]] = []
    for key, node in pairs:
        name = _KEY_ALIASES.get((spec.name, key.casefold())) or folded.get(key.casefold())
        if name is None:
            return tuple(node for _, node in pairs)
        keyed.append((name, node))
    if spec.name == "Switch":
        source = [n for k, n in keyed if k == "source"]
        default = [n for k, n in keyed if k == "defaultValue"]
        rest = [n for k, n in keyed if k in ("key", "value")]
        if len(source) != 1 or len(default) > 1:
            return tuple(node for _, node in pairs)
        return (source[0], default[0] if default else Empty(0), *rest)
    repeating = {p[0] for p in PARAMETERS[spec.name] if p[3]}
    required = {p[0] for p in PARAMETERS[spec.name] if p[2]}
    args: list[Node] = []
    for name in names:
        found = [n for k, n in keyed if k == name]
        if name in repeating:
            args.extend(found)
        elif len(found) > 1:
            return tuple(node for _, node in pairs)
        elif not found and name in required:
            raise ExpressionError(f"{spec.name}: the required parameter {name!r} is missing", 0)
        else:
            args.append(found[0] if found else Empty(0))
    while len(args) > spec.min_args and isinstance(args[-1], Empty):
        args.pop()
    return tuple(args)


def to_source(node: Node) -> dict[str, Any]:
    if isinstance(node, Attribute):
        return {
            "expression": render(node),
            "name": node.name,
            "parameters": [],
            "type": "Attribute",
        }
    if isinstance(node, Constant):
        return {
            "expression": render(node),
            "name": dotnet_str(node.value) or "",
            "parameters": [],
            "type": "Constant",
        }
    if isinstance(node, Comparison):
        # Graph has no tree form for a comparison; it travels as a constant expression.
        return {"expression": render(node), "name": node.op, "parameters": [], "type": "Constant"}
    assert isinstance(node, Call)
    names = [p for p, _, _, repeat in PARAMETERS[node.name]]
    repeating = [p for p, _, _, repeat in PARAMETERS[node.name] if repeat]
    parameters: list[dict[str, Any]] = []
    for i, arg in enumerate(node.args):
        if isinstance(arg, Empty):
            continue  # Graph leaves empty arguments out
        if node.name == "Switch" and i >= 2:
            key = "key" if (i - 2) % 2 == 0 else "value"
        elif names and names[0] in repeating:
            key = names[0]  # Coalesce, SelectUniqueValue: every argument is a source
        elif i < len(names) and names[i] not in repeating:
            key = names[i]
        else:
            key = repeating[0] if repeating else f"arg{i + 1}"
        parameters.append({"key": _GRAPH_KEYS.get((node.name, key), key), "value": to_source(arg)})
    return {
        "expression": render(node),
        "name": node.name,
        "parameters": parameters,
        "type": "Function",
    }


def node_from_tree(tree: Any, where: str) -> Node:
    if tree is None:
        return Empty(0)
    if not isinstance(tree, Mapping):
        raise ExpressionError(f"{where} must be an object with 'type' and 'name'", 0)
    kind = str(tree.get("type") or "").casefold()
    name = tree.get("name")
    if kind == "attribute":
        if not name:
            raise ExpressionError(f"{where}: an Attribute source needs a name", 0)
        return Attribute(0, str(name))
    if kind == "constant":
        # An omitted argument (Switch's empty default) is a Constant whose expression is empty;
        # the empty string constant is written '""'.
        if tree.get("expression") == "" and not name:
            return Empty(0)
        text = tree.get("expression")
        plain = "" if name is None else str(name)
        if isinstance(text, str) and text.strip() and text not in (quote(plain), plain):
            # A comparison (IIF's condition) has no tree form; it travels as its text.
            try:
                root = parse_root(text)
            except ExpressionError:
                root = None
            if isinstance(root, Comparison):
                return root
        if text == plain and re.fullmatch(r"[+-]?\d+(\.\d+)?", plain):
            return Constant(0, float(plain) if "." in plain else int(plain))  # an unquoted number
        return Constant(0, plain)
    if kind == "function":
        spec = FUNCTIONS.get(str(name or "").casefold())
        if spec is None:
            raise ExpressionError(f"{where}: unknown function {name!r}", 0)
        params = tree.get("parameters") or []
        if not isinstance(params, Sequence) or isinstance(params, str | bytes):
            raise ExpressionError(f"{where}: parameters must be a list", 0)
        pairs = [
            (
                str(p.get("key") or "") if isinstance(p, Mapping) else "",
                node_from_tree(
                    p.get("value") if isinstance(p, Mapping) else None, f"{where}.{spec.name}[{i}]"
                ),
            )
            for i, p in enumerate(params)
        ]
        args = _arrange_arguments(spec, pairs)
        check_arity(spec, len(args), 0)
        return Call(0, spec.name, args)
    raise ExpressionError(
        f"{where}: unknown source type {tree.get('type')!r} (use Attribute, Constant or Function)",
        0,
    )
