"""The parser: expression text to a syntax tree, with the position of any problem."""

from __future__ import annotations

import re

from harness.engine.rules.expressions.functions import FUNCTIONS, FunctionSpec
from harness.engine.rules.expressions.syntax import (
    Attribute,
    Call,
    Comparison,
    Constant,
    Empty,
    Node,
)
from harness.engine.rules.expressions.values import ExpressionError

# The documented limit for attribute-mapping expressions
# (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/known-issues).
MAX_EXPRESSION_LENGTH = 10_000


MAX_NESTING = 64  # not documented; keeps evaluation far from Python's recursion limit


_COMPARE_CONSTANTS = {"vbtextcompare": "vbTextCompare", "vbbinarycompare": "vbBinaryCompare"}


_COMPARISON_OPS = ("<>", ">=", "<=", "=", ">", "<")


class Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def error(self, message: str, position: int | None = None) -> ExpressionError:
        return ExpressionError(message, self.pos if position is None else position)

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def peek(self) -> str:
        self.skip_ws()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self) -> Node:
        if not self.text.strip():
            raise self.error("the expression is empty", 0)
        node = self.expression()
        self.skip_ws()
        if self.pos < len(self.text):
            raise self.error(f"unexpected {self.text[self.pos]!r} after the end of the expression")
        return node

    def expression(self) -> Node:
        left = self.operand()
        self.skip_ws()
        for op in _COMPARISON_OPS:
            if self.text.startswith(op, self.pos):
                start = self.pos
                self.pos += len(op)
                right = self.operand()
                return Comparison(start, op, left, right)
        return left

    def operand(self) -> Node:
        char = self.peek()
        start = self.pos
        if not char:
            raise self.error("unexpected end of the expression: a value is missing")
        if char == "[":
            return self.attribute()
        if char == '"':
            return self.string()
        if char == "&" and self.text[self.pos : self.pos + 2].upper() == "&H":
            match = re.compile(r"&[Hh]([0-9A-Fa-f]+)").match(self.text, self.pos)
            if not match:
                raise self.error("a hexadecimal number needs digits after &H")
            self.pos = match.end()
            return Constant(start, int(match.group(1), 16))
        if char.isdigit() or (char in "+-" and self.text[self.pos + 1 : self.pos + 2].isdigit()):
            match = re.compile(r"[+-]?\d+(\.\d+)?").match(self.text, self.pos)
            assert match is not None
            self.pos = match.end()
            raw = match.group(0)
            return Constant(start, float(raw) if "." in raw else int(raw))
        if char.isascii() and (char.isalpha() or char == "_"):
            match = re.compile(r"[A-Za-z_][A-Za-z0-9_]*").match(self.text, self.pos)
            assert match is not None
            name = match.group(0)
            self.pos = match.end()
            if self.peek() == "(":
                return self.call(name, start)
            if name.casefold() in _COMPARE_CONSTANTS:
                return Constant(start, _COMPARE_CONSTANTS[name.casefold()])
            raise self.error(
                f"{name!r} is not a function call, attribute or constant: attributes go in square "
                f'brackets ([{name}]) and strings in double quotes ("{name}")',
                start,
            )
        raise self.error(
            f'unexpected {char!r}: expected a function, [attribute], "string" or number'
        )

    def attribute(self) -> Node:
        start = self.pos
        end = self.text.find("]", self.pos + 1)
        if end < 0:
            raise self.error("the attribute name is not closed with ']'", start)
        name = self.text[self.pos + 1 : end].strip()
        if not name:
            raise self.error("an attribute name is empty: '[]'", start)
        if "[" in name or '"' in name:
            raise self.error(f"invalid character in attribute name {name!r}", start)
        self.pos = end + 1
        return Attribute(start, name)

    def string(self) -> Node:
        start = self.pos
        self.pos += 1
        out: list[str] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                following = self.text[self.pos + 1]
                # Only \\ and \" are documented escapes; any other backslash is kept as
                # written, so regular expressions like "\d" survive.
                if following in '\\"':
                    out.append(following)
                else:
                    out.append(char + following)
                self.pos += 2
                continue
            if char == '"':
                self.pos += 1
                return Constant(start, "".join(out))
            out.append(char)
            self.pos += 1
        raise self.error("the string constant is not closed with '\"'", start)

    def call(self, name: str, start: int) -> Node:
        spec = FUNCTIONS.get(name.casefold())
        if spec is None:
            raise self.error(f"unknown function {name!r}", start)
        self.pos += 1  # "("
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"functions are nested more than {MAX_NESTING} levels deep", start)
        args: list[Node] = []
        if self.peek() == ")":
            self.pos += 1
        else:
            while True:
                char = self.peek()
                if char in (",", ")"):
                    args.append(Empty(self.pos))
                elif not char:
                    raise self.error(f"{spec.name}( is not closed with ')'", start)
                else:
                    args.append(self.expression())
                char = self.peek()
                if char == ",":
                    self.pos += 1
                    continue
                if char == ")":
                    self.pos += 1
                    break
                if not char:
                    raise self.error(f"{spec.name}( is not closed with ')'", start)
                raise self.error(
                    f"expected ',' or ')' in the arguments of {spec.name}, found {char!r}"
                )
        self.depth -= 1
        check_arity(spec, len(args), start)
        return Call(start, spec.name, tuple(args))


def check_arity(spec: FunctionSpec, count: int, position: int) -> None:
    # Trailing omitted arguments may be written as empty ones ("Replace(x, "a", , , "b", , )").
    if count < spec.min_args:
        raise ExpressionError(
            f"{spec.name} needs at least {spec.min_args} argument(s), got {count}", position
        )
    if spec.max_args is not None and count > spec.max_args:
        raise ExpressionError(
            f"{spec.name} takes at most {spec.max_args} argument(s), got {count}", position
        )


def check_tree(node: Node, top: bool) -> None:
    if isinstance(node, Call):
        if node.name == "SelectUniqueValue" and not top:
            raise ExpressionError(
                "SelectUniqueValue must be at the top level, not nested", node.position
            )
        for arg in node.args:
            check_tree(arg, False)
        if node.name == "Switch" and len(node.args) % 2 != 0:
            raise ExpressionError(
                "Switch takes a source, a default value and key/value pairs: the count of "
                "arguments must be even",
                node.position,
            )
    elif isinstance(node, Comparison):
        check_tree(node.left, False)
        check_tree(node.right, False)


def parse_root(text: str) -> Node:
    """The syntax tree of ``text``, checked (arity, SelectUniqueValue at the top, Switch's
    pairs). Raises :class:`ExpressionError`."""
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(
            f"the expression is longer than {MAX_EXPRESSION_LENGTH} characters",
            MAX_EXPRESSION_LENGTH,
        )
    try:
        root = Parser(text).parse()
        check_tree(root, True)
    except RecursionError:
        raise ExpressionError("the expression is nested too deeply", 0) from None
    return root
