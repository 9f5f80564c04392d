"""Consistent pseudonyms for an export, so a case can be attached to a ticket and shared.

Names, e-mail addresses, UPNs, ids and display names are replaced; the same input always gives
the same pseudonym (an HMAC of it with ``salt``), so the case still behaves as the original:
a UPN and a mail with the same local part keep sharing it, distinct domains stay distinct, a
guest's ``#EXT#`` UPN keeps its shape, a GUID stays a GUID and a Miro id keeps its digits.
Attribute values that drive scoping or mappings (department, job title, ...) are kept, and so
are application names. With the default salt, a pseudonym of a guessable value (a common first
name) can be guessed back: give a secret ``--salt`` for anything leaving the team.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid
from dataclasses import replace
from typing import Any

from harness.replay.records import Identity, Record, Step

DEFAULT_SALT = "harness-replay"
GUID = re.compile(
    r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
)
EMAIL = re.compile(r"[A-Za-z0-9._%+'#-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
QUOTED = re.compile(r"'([^']+)'")
HEX = re.compile(r"\b[0-9a-fA-F]{16,}\b")
DIGITS = re.compile(r"^\d{6,}$")
# Detail and modified-property keys (casefolded, last path segment) by what they hold.
EMAIL_KEYS = {
    "userprincipalname",
    "mail",
    "username",
    "originaluserprincipalname",
    "value",
    "emails",
}
PERSON_KEYS = {"displayname", "givenname", "surname", "familyname", "name", "nickname", "formatted"}
LOCAL_KEYS = {
    "mailnickname",
    "externalid",
    "employeeid",
    "employeenumber",
    "onpremisessamaccountname",
}
ID_KEYS = {"id", "objectid", "members", "manager", "reportableidentifier"}


class Pseudonymiser:
    def __init__(self, salt: str = DEFAULT_SALT) -> None:
        self.key = salt.encode()
        self.maps: dict[str, dict[str, str]] = {}
        self.group_names: set[str] = set()

    def _hash(self, kind: str, value: str) -> bytes:
        return hmac.new(self.key, f"{kind}\0{value}".encode(), hashlib.sha256).digest()

    def _map(self, kind: str, value: str, make: Any) -> str:
        table = self.maps.setdefault(kind, {})
        found = table.get(value)
        if found is None:
            taken = set(table.values())
            n = 0
            found = make(self._hash(kind, value))
            while found in taken:  # distinct inputs stay distinct
                n += 1
                found = make(self._hash(kind, f"{value}\0{n}"))
            table[value] = found
        return found

    # -- kinds of value --------------------------------------------------------------------

    def guid(self, value: str) -> str:
        return self._map("guid", value.lower(), lambda h: str(uuid.UUID(bytes=h[:16], version=4)))

    def domain(self, value: str) -> str:
        return self._map("domain", value.lower(), lambda h: f"d{h.hex()[:6]}.example")

    def local(self, value: str) -> str:
        return self._map("local", value.lower(), lambda h: f"u{h.hex()[:8]}")

    def person(self, value: str) -> str:
        return self._map("person", value, lambda h: f"Person {h.hex()[:6]}")

    def group(self, value: str) -> str:
        return self._map("group", value, lambda h: f"Group {h.hex()[:6]}")

    def digits(self, value: str) -> str:
        return self._map(
            "digits",
            value,
            lambda h: str(int.from_bytes(h, "big"))[: len(value)].rjust(len(value), "7"),
        )

    def hexes(self, value: str) -> str:
        return self._map("hex", value.lower(), lambda h: (h.hex() * 2)[: len(value)])

    def email(self, value: str) -> str:
        """``local@domain``; a guest UPN ``jane_fabrikam.com#EXT#@tenant`` keeps its shape."""
        if "#EXT#" in value.upper():
            head, _, tail = value.partition("#EXT#")
            if "_" in head:
                local, _, domain = head.rpartition("_")
                head = f"{self.local(local)}_{self.domain(domain)}"
            else:
                head = self.local(head)
            return f"{head}#EXT#@{self.domain(tail.lstrip('@'))}"
        local, at, domain = value.rpartition("@")
        if not at:
            return self.local(value)
        return f"{self.local(local)}@{self.domain(domain)}"

    def identifier(self, value: str) -> str:
        """An id of unknown kind: GUID, Miro's digits, or something else."""
        if not value:
            return value
        if GUID.fullmatch(value):
            return self.guid(value)
        if DIGITS.match(value):
            return self.digits(value)
        if "@" in value:
            return self.email(value)
        return self.text(value)

    def text(self, value: str) -> str:
        """Free text: GUIDs, e-mail addresses, long hex runs and quoted known names replaced."""
        if not value:
            return value
        out = GUID.sub(lambda m: self.guid(m.group(0)), value)
        out = EMAIL.sub(lambda m: self.email(m.group(0)), out)
        out = HEX.sub(lambda m: self.hexes(m.group(0)), out)

        def quoted(match: re.Match[str]) -> str:
            inner = match.group(1)
            for kind in ("group", "person"):
                if inner in self.maps.get(kind, {}):
                    return f"'{self.maps[kind][inner]}'"
            if DIGITS.match(inner):
                return f"'{self.digits(inner)}'"
            return match.group(0)

        return QUOTED.sub(quoted, out)

    def value_for(self, key: str, value: str | None, group: bool = False) -> str | None:
        """A detail or modified property's value, by what its key says it holds."""
        if value is None or value == "":
            return value
        last = key.rsplit(".", 1)[-1].casefold().split("[")[0]
        if last in EMAIL_KEYS or key.casefold().startswith("emails"):
            return self.email(value) if "@" in value else self.text(value)
        if last in PERSON_KEYS:
            return self.group(value) if group else self.person(value)
        if last in LOCAL_KEYS:
            return self.identifier(value) if GUID.fullmatch(value) else self.local(value)
        if last == "reportableidentifier" and not GUID.fullmatch(value):
            if group:
                return self.group(value)
            return self.email(value) if "@" in value else self.person(value)
        if last in ID_KEYS:
            return (
                GUID.sub(lambda m: self.guid(m.group(0)), value)
                if GUID.search(value)
                else self.identifier(value)
            )
        return self.text(value)

    # -- records ---------------------------------------------------------------------------

    def record(self, r: Record) -> Record:
        group = r.object_type == "Group"
        source_display = self._display(r.source.display, group)
        target_display = self._display(r.target.display, group)
        return replace(
            r,
            id=self.identifier(r.id),
            cycle_id=self.identifier(r.cycle_id),
            change_id=self.identifier(r.change_id),
            job_id=self.text(r.job_id),
            tenant_id=self.identifier(r.tenant_id),
            source=Identity(self.identifier(r.source.id), source_display, r.source.type),
            target=Identity(self.identifier(r.target.id), target_display, r.target.type),
            service_principal=(self.identifier(r.service_principal[0]), r.service_principal[1]),
            error_reason=self.text(r.error_reason),
            steps=tuple(self._step(s, group) for s in r.steps),
            modified=tuple(
                (name, self.value_for(name, old, group), self.value_for(name, new, group))
                for name, old, new in r.modified
            ),
        )

    def _display(self, value: str, group: bool) -> str:
        if not value:
            return value
        if group:
            return self.group(value)
        return self.email(value) if "@" in value else self.person(value)

    def _step(self, step: Step, group: bool) -> Step:
        details = tuple((k, self.value_for(k, v, group) or "") for k, v in step.details)
        return replace(step, description=self.text(step.description), details=details)

    def learn(self, r: Record) -> None:
        """Register the record's names first, so free text mentioning them is replaced too."""
        if r.object_type == "Group":
            self.group(r.source.display)
            if r.target.display:
                self.group(r.target.display)
        for step in r.steps:
            for key, value in step.details:
                last = key.rsplit(".", 1)[-1].casefold()
                if value and last in PERSON_KEYS and r.object_type != "Group":
                    self.person(value)

    def schema(self, schema: Any) -> Any:
        """The job's schema with every domain the export used replaced (in expressions and
        filter values); the rest is configuration, kept as it is."""
        domains = sorted(self.maps.get("domain", {}), key=len, reverse=True)
        text = json.dumps(schema)
        for domain in domains:
            text = re.sub(re.escape(domain), self.maps["domain"][domain], text, flags=re.IGNORECASE)
        return json.loads(text)
