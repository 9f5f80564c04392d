"""The JSON object a request to the harness's own endpoints carries (synchronization API,
``/_fake/`` control plane, ``harness serve``): one parser, each caller's error type."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def json_object(
    raw: bytes, error: Callable[[str], Exception], *, required: bool = False
) -> dict[str, Any]:
    """The body parsed as a JSON object; an empty body is ``{}`` unless ``required``.
    Bad input raises ``error(message)`` (a Graph error envelope, or a ValueError)."""
    if not raw.strip():
        if required:
            raise error("The request body is empty; a JSON object is required.")
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise error(f"The request body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise error("The request body must be a JSON object.")
    return body
