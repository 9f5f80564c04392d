"""How a value is written in a provisioning log (``modifiedProperties``, step details)."""

from __future__ import annotations

import json
from typing import Any


def log_value(value: Any) -> str | None:
    """A value as the logs write it: strings as they are, booleans ``True``/``False``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, sort_keys=True, default=str)
