"""The one validation layer for JSON input, shared by both fakes and the harness.

Two steps, both before anything is stored:

1. :func:`parse_json` reads a body or a file: a size limit, then the parse (NaN and Infinity
   refused), then one iterative walk that refuses nesting deeper than ``max_depth``, strings
   with a lone surrogate (which parse but can never be written back as UTF-8) and numbers no
   64-bit field can hold (``1e400`` parses as infinity; a 400-digit integer as a Python int).
2. :func:`validate` checks a parsed value against a schema: a pydantic model or dataclass in
   strict mode, unknown keys refused, ranges in the types (``Annotated[int, Field(le=...)]``).
   pydantic is compiled (pydantic-core) and so fast enough for state files of 100,000 users,
   and its errors carry the path of the field, which :class:`JsonInputError` puts first on its
   one line.

Every refusal is a :class:`JsonInputError` (a ValueError): each caller turns it into its own
wire format (a SCIM error, Graph's envelope, ``{"error": ...}``, a state-file message)."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import ConfigDict, TypeAdapter, ValidationError

# Deep enough for every body the APIs take (a synchronization schema with nested expressions
# is ~30 levels), far below the interpreter's recursion limit that copies and dumps run into.
MAX_DEPTH = 100
# The largest API body either fake takes (Miro's own limit, 800 KB, is a setting checked first).
MAX_BODY_BYTES = 16 * 1024 * 1024
# A whole lab state (both fakes and the engine, 100,000 users) is far larger than an API body.
MAX_STATE_BYTES = 1024 * 1024 * 1024
# What a signed 64-bit field holds: Miro's 19-digit ids, .NET's long, Java's long.
MAX_INT = 2**63 - 1
MIN_INT = -(2**63)

# Strict: no "1" for 1 or 1.0 for 1; unknown keys refused. Applied to dataclasses through
# ``__pydantic_config__`` (see :data:`STRICT`).
STRICT = ConfigDict(strict=True, extra="forbid")

T = TypeVar("T")


class JsonInputError(ValueError):
    """Refused JSON input: one line for people, the field's path first when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        self.reason = message
        super().__init__(f"{field}: {message}" if field else message)


def _refuse_constant(name: str) -> Any:
    raise JsonInputError(f"{name} is not a JSON number")


# One decoder for every parse: ``json.loads`` with an option builds a new decoder (and its
# scanner) per call, a tenth of a small body's parse.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def _loads(raw: bytes | str) -> Any:
    """``json.loads(raw, parse_constant=_refuse_constant)``, step for step."""
    if isinstance(raw, str):
        if raw.startswith("\ufeff"):
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", raw, 0)
        return _DECODER.decode(raw)
    return _DECODER.decode(raw.decode(json.detect_encoding(raw), "surrogatepass"))


def parse_json(
    raw: bytes | str,
    *,
    max_bytes: int = MAX_BODY_BYTES,
    max_depth: int = MAX_DEPTH,
    what: str = "The request body",
) -> Any:
    """``raw`` parsed and checked (see the module's text); :class:`JsonInputError` otherwise.
    ``what`` names the input in messages ("The request body", "the state file")."""
    if len(raw) > max_bytes:
        raise JsonInputError(f"{what} is larger than {max_bytes} bytes")
    try:
        data = _loads(raw)
    except JsonInputError as exc:
        raise JsonInputError(f"{what} is not valid JSON: {exc.reason}") from exc
    except RecursionError as exc:
        raise JsonInputError(f"{what} is nested more than {max_depth} levels deep") from exc
    except ValueError as exc:  # also UnicodeDecodeError and Python's integer digit limit
        raise JsonInputError(f"{what} is not valid JSON: {str(exc)[:120]}") from exc
    check_json(data, max_depth=max_depth, what=what)
    return data


def check_json(data: Any, *, max_depth: int = MAX_DEPTH, what: str = "The request body") -> None:
    """Refuse what :func:`parse_json` refuses in an already parsed value (iterative: a value
    nested too deep for recursion is refused, not crashed on)."""
    # A path ("emails[0].value") is only spelled out for a container or a refusal: building
    # one per key was most of the walk's cost on a well-formed body.
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, dict):
            if depth > max_depth:
                raise JsonInputError(f"{what} is nested more than {max_depth} levels deep")
            for key, item in value.items():
                if not isinstance(key, str):
                    raise JsonInputError("object keys must be strings", _printable(_at(path, key)))
                problem = _scalar_problem(key)
                if problem is None and isinstance(item, dict | list):
                    stack.append((item, depth + 1, _at(path, key)))
                    continue
                problem = problem or _scalar_problem(item)
                if problem is not None:
                    raise JsonInputError(problem, _printable(_at(path, key)) or what)
        elif isinstance(value, list):
            if depth > max_depth:
                raise JsonInputError(f"{what} is nested more than {max_depth} levels deep")
            for index, item in enumerate(value):
                if isinstance(item, dict | list):
                    stack.append((item, depth + 1, f"{path}[{index}]"))
                    continue
                problem = _scalar_problem(item)
                if problem is not None:
                    raise JsonInputError(problem, _printable(f"{path}[{index}]") or what)
        else:
            problem = _scalar_problem(value)
            if problem is not None:
                raise JsonInputError(problem, _printable(path) or what)


def _at(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _scalar_problem(value: Any) -> str | None:
    """Why a scalar cannot be taken, or None."""
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return "contains an unpaired surrogate (not valid Unicode)"
    elif isinstance(value, bool) or value is None:
        return None
    elif isinstance(value, int):
        if not MIN_INT <= value <= MAX_INT:
            return "is a number outside the signed 64-bit range"
    elif isinstance(value, float) and not math.isfinite(value):
        return "is a number too large to hold"
    return None


def _printable(path: str) -> str:
    """A path safe to echo back in UTF-8 (a key may itself hold a lone surrogate)."""
    return path.encode("utf-8", "backslashreplace").decode("utf-8")


# -- schemas -------------------------------------------------------------------------------

_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def adapter(schema: Any) -> TypeAdapter[Any]:
    """The (cached) pydantic adapter of ``schema``: a model, a dataclass or a type."""
    found = _ADAPTERS.get(schema)
    if found is None:
        found = _ADAPTERS[schema] = TypeAdapter(schema)
    return found


def validate(schema: type[T] | Any, data: Any, *, prefix: str = "") -> T:
    """``data`` as ``schema`` (strict; unknown keys refused); :class:`JsonInputError` naming
    the first bad field (``prefix`` goes before its path: "settings", "miro.users[3]")."""
    try:
        result: T = adapter(schema).validate_python(data)
    except ValidationError as exc:
        raise first_error(exc, prefix) from None
    return result


def first_error(exc: ValidationError, prefix: str = "") -> JsonInputError:
    """The first of pydantic's errors as one line: its field's path, then what is wrong (for a
    field of several allowed types, what each of them says)."""
    errors = exc.errors(include_url=False)
    path = _join(prefix, errors[0].get("loc", ()))
    messages = [_message(e) for e in errors if _join(prefix, e.get("loc", ())) == path]
    return JsonInputError(" or ".join(dict.fromkeys(messages)), _printable(path) or None)


def _message(error: Any) -> str:
    kind = error.get("type")
    if kind == "extra_forbidden":
        return "is not a known field"
    if kind == "missing":
        return "is required"
    return str(error.get("msg", "is not valid"))


# The tags pydantic puts in an error's path for a union's branches, not field names.
_UNION_TAG = re.compile(
    r"^(constrained-)?(int|float|str|bool|none|bytes)$|[\[\]]|^(function|json-or|lax|strict)-"
)


def _join(prefix: str, loc: Iterable[Any]) -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and part and not _UNION_TAG.search(part):
            path = f"{path}.{part}" if path else part
    return path
