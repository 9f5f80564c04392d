"""Small value rules the whole state shares: GUIDs, ``@odata.id`` references, timestamps, and
copying JSON data."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from typing import Any

from mock_graph.exceptions import bad_request

GUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)


def is_guid(value: Any) -> bool:
    return isinstance(value, str) and bool(GUID_RE.match(value))


def check_object_id(object_id: str) -> None:
    """Graph answers 400, not 404, to an object id that is not a GUID (groups, SPs, …)."""
    if not is_guid(object_id):
        raise bad_request(f"Invalid object identifier '{object_id}'.")


def ref_id(url: str) -> str:
    """The object id at the end of an ``@odata.id`` / ``@odata.bind`` URL."""
    if not isinstance(url, str) or not url.strip():
        raise bad_request("Invalid object identifier ''.")
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    m = re.fullmatch(r"(?:\w+\()?'?([^'()]+)'?\)?", tail)
    candidate = m.group(1) if m else tail
    if not is_guid(candidate):
        raise bad_request(f"Invalid object identifier '{candidate}'.")
    return candidate.lower()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def is_datetime(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        parse_iso(value)
    except ValueError:
        return False
    return True


def copy_json(value: Any) -> Any:
    """A copy of JSON data (dicts, lists, scalars), faster than ``copy.deepcopy``."""
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value


def rng_state(rng: random.Random) -> list[Any]:
    """A random generator's state as JSON."""
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def rng_from(raw: list[Any]) -> tuple[Any, ...]:
    """The state :func:`rng_state` wrote, ready for ``Random.setstate``."""
    version, internal, gauss = raw
    return (version, tuple(internal), gauss)
