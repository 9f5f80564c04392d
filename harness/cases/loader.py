"""Reading a support-case file: parse, validate against ``format.CASE``, return a ``Case``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.cases.format import CASE
from harness.cases.schema import (
    LocatedDict,
    LocatedList,
    Problem,
    SchemaError,
    Validator,
    load_yaml,
)

CaseError = SchemaError  # the name users meet: "invalid case file"


@dataclass
class Step:
    name: str
    args: Any
    line: int


@dataclass
class Case:
    path: Path
    title: str
    description: str
    seed: int
    directory: LocatedDict
    miro: LocatedDict
    job: LocatedDict
    steps: list[Step]
    expect: dict[str, Any]
    xfail: str | None = None
    raw: dict[str, Any] = field(repr=False, default_factory=dict)
    # Files the case refers to, read once: schema_file / state_file contents.
    attachments: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.name.removesuffix(".yaml").removesuffix(".yml").removesuffix(".case")

    def line_of(self, section: dict[str, Any] | list[Any] | None, key: Any = None) -> int:
        if isinstance(section, LocatedDict):
            return section.line_of(key) if key is not None else section.line
        if isinstance(section, LocatedList):
            return section.line_of(key) if isinstance(key, int) else section.line
        return 0


def load_case(path: str | Path) -> Case:
    """Read and validate a case file; raises ``CaseError`` naming file, line and field."""
    path = Path(path)
    raw = load_yaml(path)
    validator = Validator(str(path))
    if raw is None:
        raise CaseError([Problem(str(path), 1, "", "the file is empty")])
    validator.validate(raw, CASE)
    if validator.problems:
        raise CaseError(validator.problems)
    attachments = _attachments(path, raw, validator)
    _check_names(raw, validator)
    if validator.problems:
        raise CaseError(validator.problems)
    steps = []
    for i, step in enumerate(raw["steps"]):
        line = raw["steps"].line_of(i)
        if isinstance(step, str):
            steps.append(Step(step, None, line))
        else:
            name, args = next(iter(step.items()))
            steps.append(Step(name, args, line))
    return Case(
        path=path,
        title=raw["title"],
        description=str(raw.get("description") or "").strip(),
        seed=int(raw.get("seed", 0)),
        directory=raw.get("directory") or LocatedDict(),
        miro=raw.get("miro") or LocatedDict(),
        job=raw.get("job") or LocatedDict(),
        steps=steps,
        expect=raw["expect"],
        xfail=raw.get("xfail"),
        raw=raw,
        attachments=attachments,
    )


def _attachments(path: Path, raw: dict[str, Any], validator: Validator) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for section, key in (("", "lab_state_file"), ("job", "schema_file"), ("miro", "state_file")):
        holder = (raw.get(section) or {}) if section else raw
        if key not in holder:
            continue
        target = (path.parent / holder[key]).resolve()
        line = holder.line_of(key) if isinstance(holder, LocatedDict) else 0
        try:
            found[key] = json.loads(target.read_text(encoding="utf-8"))
        except OSError as exc:
            validator.error(
                line, f"{section}.{key}".lstrip("."), f"cannot read {target}: {exc.strerror}"
            )
        except ValueError as exc:
            validator.error(
                line, f"{section}.{key}".lstrip("."), f"{target} is not valid JSON: {exc}"
            )
    return found


def _check_names(raw: dict[str, Any], validator: Validator) -> None:
    """Log expectations must name a user or group the case defines."""
    directory = raw.get("directory") or {}
    names = {u["name"] for u in directory.get("users") or []}
    names |= {g["name"] for g in directory.get("groups") or []}
    for step in raw["steps"]:
        if isinstance(step, dict):
            ((name, args),) = step.items()
            if name in ("add_user", "add_group"):
                names.add(args["name"])
            elif name == "rename_group":
                names.add(args["to"])
    logs = (raw["expect"] or {}).get("logs") or []
    for i, expectation in enumerate(logs):
        obj = expectation["object"]
        if obj not in names and "@" not in obj:
            validator.error(
                expectation.line,
                f"expect.logs[{i}].object",
                f"{obj!r} is not a user or group of this case; known: {', '.join(sorted(names))}",
            )
