"""Test values: the source objects the validator provisions, built from the mappings.

Every source attribute a mapping reads gets a generated value of its type (``userPrincipalName``
an address, ``givenName`` a name, a String a random word). A values file overrides them, per
source object, keyed by source attribute (``userPrincipalName``) or by the target attribute a
direct mapping feeds (``userName``, ``emails[type eq "work"].value``). Values may use Microsoft's
SCIM Validator generators, ``{%generateRandomString 6%}`` (letters) and
``{%generateAlphaNumeric 7%}`` (letters and digits)
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/scim-validator-tutorial).
"""

from __future__ import annotations

import random
import re
import string
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.engine import rules

__all__ = ["ValueFactory", "ValuesError", "load_values", "render"]

_GENERATOR = re.compile(r"\{%\s*(?P<name>[A-Za-z]+)\s+(?P<size>\d+)\s*%\}")
_GENERATORS = {
    "generaterandomstring": string.ascii_letters,
    "generatealphanumeric": string.ascii_letters + string.digits,
}
# Source attributes Entra computes: never generated, never overridden.
COMPUTED = frozenset(
    {"objectid", "issoftdeleted", "manager", "approleassignments", "originaluserprincipalname"}
)
SECTIONS = ("User", "Group")


class ValuesError(ValueError):
    """A values file that cannot be used; names the file and the key."""


def render(template: str, rng: random.Random) -> str:
    """``template`` with each generator replaced by a fresh random value."""

    def one(match: re.Match[str]) -> str:
        alphabet = _GENERATORS.get(match["name"].casefold())
        if alphabet is None:
            raise ValuesError(
                f"unknown value generator {match['name']!r} "
                "(use generateRandomString or generateAlphaNumeric)"
            )
        size = int(match["size"])
        if not 1 <= size <= 256:
            raise ValuesError(f"a generator's length must be 1 to 256, not {size}")
        return "".join(rng.choice(alphabet) for _ in range(size))

    return _GENERATOR.sub(one, template)


def load_values(path: Path) -> dict[str, dict[str, str]]:
    """A values file (YAML or JSON): ``{"User": {key: value}, "Group": {key: value}}``; every
    generator is checked here, so a bad one fails before any request is sent."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValuesError(f"{path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ValuesError(f"{path}: not YAML or JSON ({exc})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValuesError(f"{path}: must be a mapping with the sections User and Group")
    out: dict[str, dict[str, str]] = {}
    for section, values in data.items():
        if section not in SECTIONS:
            raise ValuesError(f"{path}: unknown section {section!r} (use User or Group)")
        if not isinstance(values, dict):
            raise ValuesError(f"{path}: {section} must map attribute names to values")
        for key, value in values.items():
            if not isinstance(value, str | int | float | bool) or isinstance(value, bool):
                raise ValuesError(f"{path}: {section}.{key} must be a string or a number")
            try:
                render(str(value), random.Random(0))
            except ValuesError as exc:
                raise ValuesError(f"{path}: {section}.{key}: {exc}") from None
            if str(key).casefold() in COMPUTED:
                raise ValuesError(
                    f"{path}: {section}.{key} is computed by Entra and cannot be given"
                )
        out[section] = {str(k): str(v) for k, v in values.items()}
    return out


@dataclass
class ValueFactory:
    """Source objects for one run: each call gives fresh values (a new run id per factory)."""

    schema: rules.Schema
    seed: int | None = None
    domain: str = "validate.example.com"
    overrides: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.run_id = "".join(self.rng.choice(string.ascii_lowercase) for _ in range(6))
        self.serial = 0
        for kind, values in self.overrides.items():
            for key in values:
                self._source_of(self.schema.object_mapping(kind), key)  # fails early

    # -- plain values --------------------------------------------------------------------

    def word(self, size: int = 8) -> str:
        return "".join(self.rng.choice(string.ascii_letters) for _ in range(size))

    def guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def name(self) -> str:
        return self.word(1).upper() + "".join(
            self.rng.choice(string.ascii_lowercase) for _ in range(6)
        )

    # -- source objects ------------------------------------------------------------------

    def user(self, *, only: set[str] | None = None) -> dict[str, Any]:
        """A directory user with a value for each source attribute the user mapping reads
        (only those in ``only`` when given: source attribute names, case-insensitive)."""
        self.serial += 1
        alias = f"validate-{self.run_id}-{self.serial}-{self.word(4).lower()}"
        given, surname = self.name(), self.name()
        known: dict[str, Any] = {
            "userprincipalname": f"{alias}@{self.domain}",
            "mail": f"{alias}@{self.domain}",
            "mailnickname": alias,
            "givenname": given,
            "surname": surname,
            "displayname": f"{given} {surname}",
            "accountenabled": True,
        }
        return self._fill("User", known, only)

    def group(self) -> dict[str, Any]:
        self.serial += 1
        name = f"validate-{self.run_id}-{self.serial}-{self.word(4)}"
        known: dict[str, Any] = {"displayname": name, "mailnickname": name}
        return self._fill("Group", known, None)

    def changed(self, kind: str, attrs: Mapping[str, Any], keep: set[str]) -> dict[str, Any]:
        """``attrs`` with every generated value replaced, except the attributes in ``keep``."""
        fresh = self.user() if kind == "User" else self.group()
        folded = {k.casefold() for k in keep}
        return {
            k: (v if k.casefold() in folded else fresh.get(k, v))
            for k, v in {**fresh, **attrs}.items()
        }

    def _fill(self, kind: str, known: dict[str, Any], only: set[str] | None) -> dict[str, Any]:
        mapping = self.schema.object_mapping(kind)
        types = self._source_types(kind)
        attrs: dict[str, Any] = {}
        for name in self.source_attributes(kind):
            folded = name.casefold()
            if folded in COMPUTED or (only is not None and folded not in only):
                continue
            if folded in known:
                attrs[name] = known[folded]
                continue
            value = self._typed(types.get(folded, "String"))
            if value is not None:
                attrs[name] = value
        for key, template in (self.overrides.get(kind) or {}).items():
            source = self._source_of(mapping, key)
            if only is None or source.casefold() in only:
                attrs[source] = render(template, self.rng)
        return attrs

    def source_attributes(self, kind: str) -> list[str]:
        """The source attributes the object mapping's expressions read, in order."""
        mapping = self.schema.object_mapping(kind)
        names: dict[str, str] = {}
        for attr in mapping.attribute_mappings if mapping is not None else []:
            if attr.is_mapped:
                for name in attr.expression.attributes:
                    names.setdefault(name.casefold(), name)
        return list(names.values())

    def _source_types(self, kind: str) -> dict[str, str]:
        directory = self.schema.directory("Azure Active Directory") or {}
        for obj in directory.get("objects") or []:
            if isinstance(obj, dict) and str(obj.get("name", "")).casefold() == kind.casefold():
                return {
                    str(a.get("name", "")).casefold(): str(a.get("type") or "String")
                    for a in obj.get("attributes") or []
                    if isinstance(a, dict)
                }
        return {}

    def _typed(self, kind: str) -> Any:
        folded = kind.casefold()
        if folded == "boolean":
            return True
        if folded == "integer":
            return self.rng.randint(1000, 99999)
        if folded == "datetime":
            return "2026-01-05T09:00:00Z"
        if folded in ("binary", "reference"):
            return None
        return self.word()

    @staticmethod
    def _source_of(mapping: rules.ObjectMapping | None, key: str) -> str:
        """The source attribute a values-file key names: itself, or the attribute a direct
        mapping to the target attribute ``key`` reads."""
        attr = mapping.by_target(key) if mapping is not None else None
        if attr is None or not attr.is_mapped:
            return key
        names = attr.expression.attributes
        if not attr.expression.is_attribute or len(names) != 1:
            raise ValuesError(
                f"{key!r} is mapped by an expression ({attr.expression_text}); give the value "
                "of a source attribute it reads instead"
            )
        return names[0]
