"""Turn client JSON into stored attribute values, typed as the published schemas say."""

from __future__ import annotations

from typing import Any

from .exceptions import bad_request
from .schemas import AttrInfo


def as_bool(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    # Entra (without aadOptscim062020) sends "True"/"False" strings.
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise bad_request(f"Attribute '{where}' must be a boolean, got {_show(value)}")


def as_string(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise bad_request(f"Attribute '{where}' must be a string, got {_show(value)}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def coerce_single(info: AttrInfo, value: Any, where: str) -> Any:
    """One value of the attribute (an item, for a multi-valued attribute); None means absent."""
    if value is None:
        return None
    if info.type == "boolean":
        return as_bool(value, where)
    if info.type == "complex":
        if not isinstance(value, dict):
            raise bad_request(f"Attribute '{where}' must be an object, got {_show(value)}")
        out: dict[str, Any] = {}
        for key, sub_value in value.items():
            if not isinstance(key, str):
                continue
            sub = info.subs.get(key.lower())
            if sub is None or sub_value is None:
                continue  # unknown sub-attributes are ignored, as Miro ignores unknown input
            coerced = coerce_single(sub, sub_value, f"{where}.{sub.name}")
            if coerced is not None:
                out[sub.name] = coerced
        return out
    return as_string(value, where)


def coerce(info: AttrInfo, value: Any, where: str) -> Any:
    """The whole attribute value (a list for a multi-valued attribute)."""
    if value is None:
        return None
    if info.multi:
        items = value if isinstance(value, list) else [value]
        out = [coerce_single(info, item, where) for item in items]
        return [item for item in out if item not in (None, {})]
    return coerce_single(info, value, where)
