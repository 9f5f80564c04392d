"""The answer of ``POST .../schema/parseExpression`` (``parseExpressionResponse``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness.engine.rules.expressions.dotnet import dotnet_str
from harness.engine.rules.expressions.expression import parse_expression
from harness.engine.rules.expressions.values import IGNORE_FLOW, EvaluationContext, ExpressionError

_BOOLEAN_SOURCE_ATTRIBUTES = frozenset({"issoftdeleted", "accountenabled"})


def _input_object(test_input: Mapping[str, Any]) -> dict[str, Any]:
    """Graph's ``expressionInputObject`` (``properties`` of ``{key, value}``) as a source."""
    properties = test_input.get("properties") or []
    if not isinstance(properties, Sequence) or isinstance(properties, str | bytes):
        raise ExpressionError("testInputObject.properties must be a list of {key, value}", 0)
    source: dict[str, Any] = {}
    for item in properties:
        if not isinstance(item, Mapping) or not item.get("key"):
            raise ExpressionError("each testInputObject property needs a key", 0)
        key, value = str(item["key"]), item.get("value")
        # Boolean directory attributes arrive as "true"/"false" strings.
        if key.casefold() in _BOOLEAN_SOURCE_ATTRIBUTES and isinstance(value, str):
            lowered = value.strip().casefold()
            value = True if lowered == "true" else False if lowered == "false" else value
        source[key] = value
    return source


def _public_error(code: str, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "details": [],
        "innerError": None,
        "target": "expression",
    }


def parse_expression_result(
    expression: Any,
    test_input: Mapping[str, Any] | None = None,
    *,
    context: EvaluationContext | None = None,
) -> dict[str, Any]:
    """The answer of ``POST .../schema/parseExpression`` (``parseExpressionResponse``):
    ``parsingSucceeded`` and ``parsedExpression`` (the Graph tree), and, when a
    ``testInputObject`` is given, ``evaluationSucceeded`` and ``evaluationResult`` (strings).
    A bad expression or input is reported in ``error``, never raised."""
    out: dict[str, Any] = {
        "error": None,
        "evaluationSucceeded": False,
        "evaluationResult": None,
        "parsedExpression": None,
        "parsingSucceeded": False,
    }
    try:
        parsed = parse_expression(expression)
    except ExpressionError as exc:
        out["error"] = _public_error("InvalidExpression", str(exc))
        return out
    out["parsingSucceeded"] = True
    out["parsedExpression"] = parsed.to_source()
    if test_input is None:
        return out
    try:
        if not isinstance(test_input, Mapping):
            raise ExpressionError("testInputObject must be an object with 'properties'", 0)
        value = parsed.evaluate(_input_object(test_input), context)
    except ExpressionError as exc:
        out["error"] = _public_error("ExpressionEvaluationFailed", str(exc))
        return out
    out["evaluationSucceeded"] = True
    if value is None or value is IGNORE_FLOW:
        out["evaluationResult"] = []
    elif isinstance(value, list):
        out["evaluationResult"] = [dotnet_str(v) for v in value if v is not None]
    else:
        out["evaluationResult"] = [dotnet_str(value)]
    return out
