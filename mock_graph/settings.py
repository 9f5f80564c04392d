"""The Graph fake's switches: where the sources leave room, or where tests want a looser fake."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Annotated, Any

from pydantic import Field, with_config
from typing_extensions import TypedDict

from fakekit.validation import STRICT, JsonInputError, validate
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
        """Apply a partial update, checking every value first (all or nothing): types, ranges
        and names by :class:`SettingsUpdate`; a refused value is never stored."""
        if not isinstance(values, dict):
            raise bad_request("Settings must be a JSON object.")
        known = {f.name for f in fields(self)}
        for key in values:
            if key not in known:
                raise bad_request(f"Unknown setting '{key}'.")
        try:
            checked: dict[str, Any] = dict(validate(SettingsUpdate, values))
        except JsonInputError as exc:
            raise bad_request(f"Invalid value for setting '{exc.field}': {exc.reason}.") from exc
        for key, value in checked.items():
            setattr(self, key, value)


# Days the fake can add to any plausible clock without leaving the calendar (year 9999).
MAX_DAYS = 36_500
PageSize = Annotated[int, Field(ge=1, le=100_000)]
Days = Annotated[int, Field(ge=0, le=MAX_DAYS)]


@with_config(STRICT)
class SettingsUpdate(TypedDict, total=False):
    """What ``PUT /_fake/settings`` may set, with the ranges the fake can hold (a retention of
    1e20 days overflows every date it touches, so it is refused, not stored)."""

    strict_queries: bool
    soft_delete_security_groups: bool
    retention_days: Annotated[int, Field(ge=1, le=MAX_DAYS)]
    delta_page_size: PageSize
    delta_token_max_age_days: Days | Annotated[float, Field(ge=0, le=MAX_DAYS)] | None
    verified_domains: list[Annotated[str, Field(max_length=253)]]
    batch_accept_absolute_urls: bool
    default_page_size: PageSize
    organization_name: Annotated[str, Field(min_length=1, max_length=1024, pattern=r"\S")]
