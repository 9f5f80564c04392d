"""A parsed expression (:class:`Expression`): parse once per distinct text, evaluate often."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from harness.engine.rules.expressions.dotnet import format_us_datetime
from harness.engine.rules.expressions.functions import Evaluator
from harness.engine.rules.expressions.parser import check_tree, parse_root
from harness.engine.rules.expressions.source_trees import node_from_tree, to_source
from harness.engine.rules.expressions.syntax import Attribute, Call, Node, render, walk
from harness.engine.rules.expressions.values import (
    IGNORE_FLOW,
    EvaluationContext,
    ExpressionError,
    ExpressionEvaluationError,
    IgnoreSignal,
    as_source_view,
)

_DEFAULT_CONTEXT = EvaluationContext()


@dataclass(frozen=True)
class Expression:
    """A parsed attribute-mapping expression. Immutable and shared: parse once, evaluate often."""

    text: str
    root: Node

    @property
    def attributes(self) -> tuple[str, ...]:
        """Names of the source attributes the expression reads, in order of appearance."""
        seen: dict[str, None] = {}
        for node in walk(self.root):
            if isinstance(node, Attribute):
                seen.setdefault(node.name, None)
        return tuple(seen)

    @property
    def functions(self) -> tuple[str, ...]:
        """Canonical names of the functions the expression calls."""
        seen: dict[str, None] = {}
        for node in walk(self.root):
            if isinstance(node, Call):
                seen.setdefault(node.name, None)
        return tuple(seen)

    @property
    def redacted(self) -> bool:
        """True when the expression uses Redact: logs show ``[Redact]`` instead of the value."""
        return "Redact" in self.functions

    @property
    def redacted_attributes(self) -> tuple[str, ...]:
        """Source attributes read inside a ``Redact(...)``: removed from the logs as well
        (``Redact([userPrincipalName])`` "removes the userPrincipalName from the provisioning
        logs")."""
        seen: dict[str, None] = {}
        for node in walk(self.root):
            if isinstance(node, Call) and node.name == "Redact":
                for inner in walk(node):
                    if isinstance(inner, Attribute):
                        seen.setdefault(inner.name, None)
        return tuple(seen)

    @property
    def is_attribute(self) -> bool:
        """True for a direct mapping (the whole expression is one ``[attribute]``)."""
        return isinstance(self.root, Attribute)

    def to_source(self) -> dict[str, Any]:
        """The expression as Graph's ``attributeMappingSource`` tree (``expression``, ``name``,
        ``parameters`` of ``{key, value}``, ``type``), empty arguments left out, as
        ``parseExpression`` returns it."""
        return to_source(self.root)

    @property
    def canonical(self) -> str:
        """The expression re-written in canonical form."""
        return render(self.root)

    def evaluate(self, source: Mapping[str, Any], context: EvaluationContext | None = None) -> Any:
        """The value this expression gives for ``source`` (attribute name → value).

        Returns ``None`` when the result is null (the caller skips the attribute) and
        :data:`IGNORE_FLOW` when ``IgnoreFlowIfNullOrEmpty`` fired. Raises
        :class:`ExpressionEvaluationError` when a value cannot be converted (a bad date, a
        non-numeric number argument).
        """
        root = self.root
        if isinstance(root, Attribute):
            # Direct mappings are most of a schema: skip the evaluator.
            view = as_source_view(source)
            try:
                value = view[root.name]
            except KeyError:
                return None
            return format_us_datetime(value) if isinstance(value, datetime) else value
        evaluator = Evaluator(as_source_view(source), context or _DEFAULT_CONTEXT)
        try:
            value = evaluator.eval(self.root)
        except IgnoreSignal:
            return IGNORE_FLOW
        except ExpressionError:
            raise
        except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
            # A value of a shape no function expects: a per-object evaluation failure, never
            # a crash of the engine.
            raise ExpressionEvaluationError(
                f"cannot evaluate {self.text!r} for this object: {exc}", 0
            ) from exc
        if isinstance(value, datetime):
            return format_us_datetime(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


def parse_expression(text: str) -> Expression:
    """Parse an expression (cached per distinct text). Raises :class:`ExpressionError`."""
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be a string, not {type(text).__name__}", 0)
    return _parse_cached(text)


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Expression:
    return Expression(text, parse_root(text))


def build_expression(source: Mapping[str, Any]) -> Expression:
    """An expression from Graph's ``attributeMappingSource`` tree (``type`` Attribute,
    Constant or Function, ``name``, ``parameters`` of ``{key, value}``), used when a schema
    carries no ``expression`` string. Raises :class:`ExpressionError` for a malformed tree."""
    root = node_from_tree(source, "source")
    check_tree(root, True)
    return Expression(render(root), root)
