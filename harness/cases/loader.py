"""Reading a support-case file: parse, validate against ``format.CASE``, return a ``Case``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.cases import bulk
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
    # A bulk step's arguments, one per object in the plain form (None for a plain step).
    items: list[Any] | None = None

    @property
    def is_checkpoint(self) -> bool:
        return self.name == "expect"


@dataclass
class Case:
    path: Path
    title: str
    description: str
    ticket: str
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
    directory = _expanded_directory(raw.get("directory") or LocatedDict())
    steps = []
    for i, step in enumerate(raw["steps"]):
        line = raw["steps"].line_of(i)
        if isinstance(step, str):
            steps.append(Step(step, None, line))
        else:
            name, args = next(iter(step.items()))
            steps.append(Step(name, args, line, bulk.step_items(name, args)))
    _check_names(directory, steps, raw["expect"], validator)
    if validator.problems:
        raise CaseError(validator.problems)
    return Case(
        path=path,
        title=raw["title"],
        description=str(raw.get("description") or "").strip(),
        ticket=str(raw.get("ticket") or "").strip(),
        seed=int(raw.get("seed", 0)),
        directory=directory,
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
        where = f"{section}.{key}".lstrip(".")
        try:
            found[key] = json.loads(target.read_text(encoding="utf-8"))
        except OSError as exc:
            validator.error(line, where, f"cannot read {target}: {exc.strerror}")
        except ValueError as exc:
            validator.error(line, where, f"{target} is not valid JSON: {exc}")
        except RecursionError:
            validator.error(line, where, f"{target} is nested too deeply to read")
    return found


def _expanded_directory(directory: LocatedDict) -> LocatedDict:
    """The directory with generated users and groups written out, and member ranges as lists."""
    out = LocatedDict(directory)
    out.line, out.key_lines = directory.line, dict(getattr(directory, "key_lines", {}))
    for key in ("users", "groups"):
        if key in directory:
            out[key] = bulk.expand_entries(directory[key])
    for group in out.get("groups") or []:
        if bulk.is_range(group.get("members")):
            group["members"] = bulk.names(group["members"])
    return out


def _check_names(
    directory: dict[str, Any], steps: list[Step], expect: dict[str, Any], validator: Validator
) -> None:
    """Log expectations (final and at checkpoints) must name a user or group the case defines."""
    names = {u["name"] for u in directory.get("users") or []}
    names |= {g["name"] for g in directory.get("groups") or []}
    checked: list[tuple[str, dict[str, Any]]] = [("expect", expect or {})]
    for i, step in enumerate(steps):
        for args in step.items if step.items is not None else [step.args]:
            if step.name in ("add_user", "add_group"):
                names.add(args["name"])
            elif step.name == "rename_group":
                names.add(args["to"])
        if step.is_checkpoint:
            checked.append((f"steps[{i}].expect", step.args or {}))
    for where, section in checked:
        for i, expectation in enumerate(section.get("logs") or []):
            obj = expectation["object"]
            if obj not in names and "@" not in obj:
                validator.error(
                    expectation.line,
                    f"{where}.logs[{i}].object",
                    f"{obj!r} is not a user or group of this case; known: {_known(names)}",
                )


def _known(names: set[str]) -> str:
    shown = sorted(names)
    return ", ".join(shown[:12]) + (f", … ({len(shown)} in all)" if len(shown) > 12 else "")
