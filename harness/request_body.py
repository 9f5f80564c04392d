"""The JSON object a request to the harness's own endpoints carries (synchronization API,
``/_fake/`` control plane, ``harness serve``): one parser, each caller's error type. The checks
are the shared validation layer's (:mod:`fakekit.validation`: size, depth, lone surrogates,
numbers no field can hold)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fakekit.validation import MAX_BODY_BYTES, JsonInputError, parse_json


def json_object(
    raw: bytes,
    error: Callable[[str], Exception],
    *,
    required: bool = False,
    max_bytes: int = MAX_BODY_BYTES,
) -> dict[str, Any]:
    """The body parsed as a JSON object; an empty body is ``{}`` unless ``required``.
    Bad input raises ``error(message)`` (a Graph error envelope, or a ValueError)."""
    if not raw.strip():
        if required:
            raise error("The request body is empty; a JSON object is required.")
        return {}
    try:
        body = parse_json(raw, max_bytes=max_bytes)
    except JsonInputError as exc:
        raise error(str(exc)) from exc
    if not isinstance(body, dict):
        raise error("The request body must be a JSON object.")
    return body
