"""Writing YAML by hand: the case keeps its comments (TODOs, where each fact came from), which
PyYAML's dumper cannot write. Scalars are quoted whenever YAML could read them otherwise."""

from __future__ import annotations

import json
import re
from typing import Any

_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9 _.@#+/()-]*$")
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "none", "~"}


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    plain = _PLAIN.match(text) and text.casefold() not in _RESERVED
    if plain and not text.endswith((" ", ":")) and ": " not in text and " #" not in text:
        return text
    return json.dumps(text, ensure_ascii=False)


def flow(value: Any) -> str:
    """A value on one line: ``{a: 1, b: [x, y]}``."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def comment(text: str, indent: int = 0) -> list[str]:
    pad = " " * indent
    return [f"{pad}# {line}".rstrip() for line in text.splitlines() or [""]]


def item(mapping: dict[str, Any], indent: int) -> list[str]:
    """A list item written as a block mapping (``- key: value`` then aligned keys)."""
    pad = " " * indent
    out: list[str] = []
    for i, (key, value) in enumerate(mapping.items()):
        lead = f"{pad}- " if i == 0 else f"{pad}  "
        out.append(f"{lead}{scalar(key)}: {flow(value)}")
    return out or [f"{pad}- {{}}"]
