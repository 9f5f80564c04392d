"""Entra ID attribute-mapping expressions: parser and evaluator.

The language (Microsoft Learn, "Reference for writing expressions for attribute mappings"):
function calls ``Name(arg, ...)`` nested freely, attributes in square brackets
``[userPrincipalName]``, string constants in double quotes with ``\\`` escaping ``\\`` and
``"``, numbers (``7``, ``-10``, VBA hex ``&HF7``), empty arguments (``Switch([x], , "a", "b")``),
the VBA compare constants ``vbTextCompare``/``vbBinaryCompare``, and the comparison operators
``= <> > >= < <=`` that IIF conditions use (``IIF([country]="USA", ...)``).

``parse_expression(text)`` parses once per distinct text (cached) and raises
:class:`ExpressionError` naming the position of the problem. ``Expression.evaluate(source)``
looks attributes up case-insensitively in ``source`` and returns the value to flow:
``None`` (skip the attribute: Entra cannot provision nulls), :data:`IGNORE_FLOW` (the
``IgnoreFlowIfNullOrEmpty`` sentinel: drop the attribute from the flow), a string, a bool,
an int, a list (multi-valued), or role objects (:class:`AppRoleValue`, :class:`RoleList`).
Date values are rendered in the documented ``M/d/yyyy h:mm:ss tt`` form at the end.

Time and randomness (``Now``, ``Guid``, ``RandomString``) come from an
:class:`EvaluationContext`, so a lab's virtual clock and seed make results repeatable.

The package, layer by layer: :mod:`.values` (what evaluation takes and gives), :mod:`.dotnet`
(.NET conversions, dates and formats), :mod:`.syntax` (the tree), :mod:`.signatures` and
:mod:`.functions` (the function table and the evaluator), :mod:`.parser`,
:mod:`.source_trees` (Graph's ``attributeMappingSource`` trees), :mod:`.expression` (the
public :class:`Expression`) and :mod:`.parse_result` (``parseExpression``'s answer).
"""

from __future__ import annotations

from harness.engine.rules.expressions.dotnet import dotnet_regex, dotnet_str
from harness.engine.rules.expressions.expression import (
    Expression,
    build_expression,
    parse_expression,
)
from harness.engine.rules.expressions.functions import function_definitions, supported_functions
from harness.engine.rules.expressions.parse_result import parse_expression_result
from harness.engine.rules.expressions.values import (
    IGNORE_FLOW,
    AppRoleValue,
    EvaluationContext,
    ExpressionError,
    ExpressionEvaluationError,
    RoleList,
    SourceView,
    as_source_view,
)

__all__ = [
    "IGNORE_FLOW",
    "AppRoleValue",
    "EvaluationContext",
    "Expression",
    "ExpressionError",
    "ExpressionEvaluationError",
    "RoleList",
    "SourceView",
    "as_source_view",
    "build_expression",
    "dotnet_regex",
    "dotnet_str",
    "function_definitions",
    "parse_expression",
    "parse_expression_result",
    "supported_functions",
]
