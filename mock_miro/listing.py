"""List parameters: attributes/excludedAttributes projection, sorting and pagination."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .exceptions import bad_request, invalid_filter
from .filters import AttrPath, parse_path, resolve

DEFAULT_COUNT = 100  # SPEC
MAX_COUNT = 1000  # SPEC
ALWAYS_RETURNED = frozenset({"id", "schemas"})


@dataclass(frozen=True)
class AttrSpec:
    urn: str | None  # lower-cased extension URN
    attr: str | None  # None: the whole extension
    sub: str | None


def parse_attr_list(text: str | None, core_urn: str, ext_urns: tuple[str, ...]) -> list[AttrSpec]:
    if not text:
        return []
    specs: list[AttrSpec] = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        if item.lower() in ext_urns:
            specs.append(AttrSpec(item.lower(), None, None))
            continue
        try:
            path = parse_path(item, (core_urn.lower(),))
        except Exception as exc:
            raise bad_request(f"Invalid attribute name '{item}'", "invalidValue") from exc
        specs.append(AttrSpec(path.urn, path.attr, path.sub))
    return specs


def _key(container: dict[str, Any], lower: str) -> str | None:
    if lower in container:
        return lower
    for k in container:
        if k.lower() == lower:
            return k
    return None


def _copy_spec(src: dict[str, Any], dst: dict[str, Any], spec: AttrSpec) -> None:
    if spec.urn:
        ext_key = _key(src, spec.urn)
        if ext_key is None:
            return
        if spec.attr is None:
            dst[ext_key] = src[ext_key]
            return
        dst_ext = dst.setdefault(ext_key, {})
        _copy_spec(src[ext_key], dst_ext, AttrSpec(None, spec.attr, spec.sub))
        if not dst_ext:
            del dst[ext_key]
        return
    key = _key(src, spec.attr or "")
    if key is None:
        return
    value = src[key]
    if spec.sub is None:
        dst[key] = value
    elif isinstance(value, dict):
        sub_key = _key(value, spec.sub)
        if sub_key is not None:
            dst.setdefault(key, {})[sub_key] = value[sub_key]
    elif isinstance(value, list):
        prior = dst.get(key)
        merged: list[dict[str, Any]] = prior if isinstance(prior, list) else [{} for _ in value]
        for i, item in enumerate(value):
            if isinstance(item, dict) and (sub_key := _key(item, spec.sub)) is not None:
                merged[i][sub_key] = item[sub_key]
        if any(merged):
            dst[key] = merged


def _drop_spec(dst: dict[str, Any], spec: AttrSpec) -> None:
    if spec.urn:
        ext_key = _key(dst, spec.urn)
        if ext_key is None:
            return
        if spec.attr is None:
            del dst[ext_key]
            return
        ext = dict(dst[ext_key])
        _drop_spec(ext, AttrSpec(None, spec.attr, spec.sub))
        dst[ext_key] = ext
        return
    key = _key(dst, spec.attr or "")
    if key is None or key in ALWAYS_RETURNED:
        return
    if spec.sub is None:
        del dst[key]
        return
    value = dst[key]
    if isinstance(value, dict):
        dst[key] = {k: v for k, v in value.items() if k.lower() != spec.sub}
    elif isinstance(value, list):
        dst[key] = [
            {k: v for k, v in item.items() if k.lower() != spec.sub}
            if isinstance(item, dict)
            else item
            for item in value
        ]


def project(
    resource: dict[str, Any], include: list[AttrSpec], exclude: list[AttrSpec]
) -> dict[str, Any]:
    """The resource as ``attributes``/``excludedAttributes`` ask (shallow copies only)."""
    if include:
        out: dict[str, Any] = {k: resource[k] for k in ("schemas", "id") if k in resource}
        for spec in include:
            _copy_spec(resource, out, spec)
        return out
    if exclude:
        out = dict(resource)
        for spec in exclude:
            _drop_spec(out, spec)
        return out
    return resource


def excludes(specs: list[AttrSpec], attr: str) -> bool:
    return any(s.urn is None and s.attr == attr and s.sub is None for s in specs)


def sort_value(resource: dict[str, Any], path: AttrPath) -> tuple[int, Any]:
    values = resolve(resource, path)
    if not values:
        return (1, "")
    first = values[0]
    if isinstance(first, bool | int | float):
        return (0, float(first))
    return (0, str(first).casefold())


def parse_int(args: Any, name: str, default: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise bad_request(f"'{name}' must be an integer, got '{raw}'") from exc


@dataclass(frozen=True)
class Page:
    start_index: int
    count: int


def parse_page(args: Any, max_count: int = MAX_COUNT) -> Page:
    # RFC 7644 section 3.4.2.4 (https://www.rfc-editor.org/rfc/rfc7644#section-3.4.2.4):
    # startIndex < 1 means 1, a negative count means 0, and the server may return fewer
    # results than asked: at most ``max_count`` (the max_results setting).
    start = max(1, parse_int(args, "startIndex", 1))
    count = min(max_count, max(0, parse_int(args, "count", DEFAULT_COUNT)))
    return Page(start, count)


def parse_sort(args: Any, core_urn: str) -> tuple[AttrPath | None, bool]:
    sort_by = args.get("sortBy")
    order = (args.get("sortOrder") or "ascending").lower()
    if order not in ("ascending", "descending"):
        raise bad_request("sortOrder must be 'ascending' or 'descending'")
    if not sort_by:
        return None, False
    try:
        path = parse_path(sort_by.strip(), (core_urn.lower(),))
    except Exception as exc:
        raise invalid_filter(f"Invalid sortBy '{sort_by}'") from exc
    return path, order == "descending"
