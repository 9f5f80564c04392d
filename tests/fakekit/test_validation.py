"""The shared validation layer: what parse_json refuses, and one-line errors naming the field."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from pydantic import Field, with_config
from typing_extensions import TypedDict

from fakekit.validation import STRICT, JsonInputError, parse_json, validate


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"[" * 10_000 + b"]" * 10_000, "nested more than 100 levels"),
        (b'{"a":' * 101 + b"1" + b"}" * 101, "nested more than 100 levels"),
        (b'{"a": {"b": "x\\ud800"}}', "a.b: contains an unpaired surrogate"),
        (b'{"\\udfff": 1}', "unpaired surrogate"),
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": [1e400]}', "a[0]: is a number too large to hold"),
        (b'{"a": ' + b"9" * 400 + b"}", "a: is a number outside the signed 64-bit range"),
        (b'{"a": "\xff"}', "not valid JSON"),
        (b"{", "not valid JSON"),
    ],
)
def test_parse_json_refuses(raw: bytes, says: str) -> None:
    with pytest.raises(JsonInputError) as caught:
        parse_json(raw)
    assert says in str(caught.value) and "\n" not in str(caught.value)


def test_parse_json_keeps_what_is_fine() -> None:
    raw = b'{"a": [1, 2.5, -9223372036854775808, "\\ud83d\\ude00", null, true], "b": {"c": {}}}'
    assert parse_json(raw) == {
        "a": [1, 2.5, -(2**63), "\U0001f600", None, True],
        "b": {"c": {}},
    }
    assert parse_json(b'{"a":' * 99 + b"1" + b"}" * 99) is not None


def test_size_limit() -> None:
    with pytest.raises(JsonInputError, match="larger than 10 bytes"):
        parse_json(b'{"a": "xxxxxxxx"}', max_bytes=10)


@with_config(STRICT)
class Example(TypedDict, total=False):
    kind: Literal["a", "b"]
    limit: Annotated[int, Field(ge=1, le=10)]
    ratio: Annotated[int, Field(ge=0)] | Annotated[float, Field(ge=0, le=1)] | None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"limit": 11}, "settings.limit: Input should be less than or equal to 10"),
        ({"limit": "3"}, "settings.limit: Input should be a valid integer"),
        ({"limit": True}, "settings.limit: Input should be a valid integer"),
        ({"kind": "c"}, "settings.kind: Input should be 'a' or 'b'"),
        ({"other": 1}, "settings.other: is not a known field"),
        ({"ratio": 2.5}, "settings.ratio: Input should be a valid integer or Input should be "),
    ],
)
def test_validate_names_the_field(data: dict[str, object], message: str) -> None:
    with pytest.raises(JsonInputError) as caught:
        validate(Example, data, prefix="settings")
    assert str(caught.value).startswith(message)


def test_validate_passes_good_values() -> None:
    assert validate(Example, {"kind": "a", "limit": 3, "ratio": 0.5}) == {
        "kind": "a",
        "limit": 3,
        "ratio": 0.5,
    }
