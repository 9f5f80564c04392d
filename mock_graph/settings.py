"""The Graph fake's switches: where the sources leave room, or where tests want a looser fake."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from mock_graph.exceptions import bad_request


@dataclass
class Settings:
    """Knobs where the sources leave room, or where tests want a looser fake."""

    # Reproduce Graph's advanced-query failures (ConsistencyLevel: eventual + $count=true).
    strict_queries: bool = True
    # Graph deletes security and distribution groups at once; M365 groups go to deleted items.
    soft_delete_security_groups: bool = False
    retention_days: int = 30
    delta_page_size: int = 100
    # Graph expires directory delta tokens after 7 days; off by default so long virtual-clock
    # runs do not trip over it. Set to 7 for fidelity.
    delta_token_max_age_days: float | None = None
    # Empty: any domain is accepted in userPrincipalName.
    verified_domains: list[str] = field(default_factory=list)
    # Real Graph answers 400 to absolute URLs in $batch items; msgraph-sdk sends them anyway.
    batch_accept_absolute_urls: bool = True
    default_page_size: int = 100
    organization_name: str = "Contoso"

    def update(self, values: dict[str, Any]) -> None:
        """Apply a partial update, checking every value first (all or nothing)."""
        known = {f.name: f for f in fields(self)}
        for key, value in values.items():
            if key not in known:
                raise bad_request(f"Unknown setting '{key}'.")
            current = getattr(self, key)
            ok = (
                (isinstance(current, bool) and isinstance(value, bool))
                or (key == "delta_token_max_age_days" and (value is None or _is_number(value)))
                or (
                    isinstance(current, int)
                    and not isinstance(current, bool)
                    and isinstance(value, int)
                    and not isinstance(value, bool)
                    and value > 0
                )
                or (
                    isinstance(current, list)
                    and isinstance(value, list)
                    and all(isinstance(v, str) for v in value)
                )
                or (isinstance(current, str) and isinstance(value, str) and bool(value.strip()))
            )
            if not ok:
                raise bad_request(f"Invalid value for setting '{key}'.")
        for key, value in values.items():
            setattr(self, key, value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
