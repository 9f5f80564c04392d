"""What an expression evaluates against and gives back: the source view, the evaluation
context (time, randomness, uniqueness), the role values, the ``IGNORE_FLOW`` sentinel, and the
errors."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


class ExpressionError(ValueError):
    """A malformed expression: ``position`` is the 0-based character offset of the problem."""

    def __init__(self, message: str, position: int) -> None:
        self.message = message
        self.position = position
        super().__init__(f"{message} (at position {position})")


class ExpressionEvaluationError(ExpressionError):
    """An expression that parsed but cannot be evaluated for this object (e.g. a bad date)."""


class _IgnoreFlow:
    """The sentinel type of :data:`IGNORE_FLOW`."""

    _instance: _IgnoreFlow | None = None

    def __new__(cls) -> _IgnoreFlow:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "IGNORE_FLOW"

    def __bool__(self) -> bool:
        return False


IGNORE_FLOW = _IgnoreFlow()
"""Returned by ``evaluate`` when ``IgnoreFlowIfNullOrEmpty`` fired: the caller drops the attribute."""


class IgnoreSignal(Exception):
    """Raised inside evaluation so an IgnoreFlowIfNullOrEmpty anywhere drops the whole flow."""


class AppRoleValue(str):
    """The single role string ``SingleAppRoleAssignment`` returns, keeping the role's identity.

    Entra sends the role differently in POST and PATCH
    (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/customize-application-attributes), so the payload builders need
    the role's ``id`` and ``displayName`` beside its value.
    """

    role_id: str | None
    display_name: str | None

    def __new__(
        cls, value: str, role_id: str | None = None, display_name: str | None = None
    ) -> AppRoleValue:
        obj = super().__new__(cls, value)
        obj.role_id = role_id
        obj.display_name = display_name
        return obj


class RoleList(list):
    """Role objects from ``AppRoleAssignmentsComplex`` (``assertive=False``: PATCH adds only)
    or ``AssertiveAppRoleAssignmentsComplex`` (``assertive=True``: PATCH replaces the roles)."""

    def __init__(
        self,
        roles: Iterable[dict[str, Any]] = (),
        *,
        assertive: bool = False,
        role_ids: Iterable[str | None] = (),
    ) -> None:
        super().__init__(roles)
        self.assertive = assertive
        # The appRoleId of each role, in order (the default-dialect PATCH sends it).
        self.role_ids: list[str | None] = list(role_ids)


@dataclass
class EvaluationContext:
    """Where time, randomness and uniqueness checks come from during evaluation."""

    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    rng: random.Random = field(default_factory=random.Random)
    # SelectUniqueValue asks this whether a candidate is free in the target.
    is_unique: Callable[[str], bool] = field(default=lambda value: True)


class SourceView(Mapping[str, Any]):
    """A source object whose keys are looked up case-insensitively, as Entra does.

    Wrap an object once and evaluate every mapping against the view: the lower-cased index is
    built once, not per attribute.
    """

    __slots__ = ("_data", "_folded")

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data
        self._folded: dict[str, str] | None = None

    def __getitem__(self, key: str) -> Any:
        if key in self._data:
            return self._data[key]
        if self._folded is None:
            self._folded = {str(k).casefold(): k for k in self._data}
        real = self._folded.get(key.casefold())
        if real is None:
            raise KeyError(key)
        return self._data[real]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def as_source_view(source: Mapping[str, Any]) -> SourceView:
    """``source`` as a :class:`SourceView` (returned unchanged if it already is one)."""
    return source if isinstance(source, SourceView) else SourceView(source)
