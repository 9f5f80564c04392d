"""The bulk forms of a case file, expanded into the plain forms the runner plays.

- a directory entry with ``count`` (``{name: user{n:02}, count: 60, department: "Dept {n}"}``)
  becomes ``count`` entries, ``n`` numbering them from ``from`` (default 1); its string values,
  and the names in a list of ``members``, are ``str.format`` templates with ``n``;
- a step over several objects (``unassign: [ann, ben]``, ``unassign: {pattern: user{n:02},
  from: 21, to: 60}``, ``update_user: {user: {pattern: ...}, department: "Dept {n}"}``) becomes
  one argument per object, played in order as one step.

The format (``format.py``) has already checked every pattern and range when these run.
"""

from __future__ import annotations

from typing import Any

from harness.cases.schema import LocatedDict, LocatedList

# Steps whose argument is a name (or, in bulk, names).
NAME_STEPS = frozenset(
    {
        "disable",
        "enable",
        "soft_delete",
        "restore",
        "hard_delete",
        "delete_group",
        "miro_delete_user",
    }
)


def numbered(pattern: str, first: int, last: int) -> list[tuple[int, str]]:
    return [(n, pattern.format(n=n)) for n in range(first, last + 1)]


def is_range(value: Any) -> bool:
    return isinstance(value, dict) and "pattern" in value


def names(value: Any) -> list[str]:
    """A name, a list of names, or ``{pattern, from, to}``, as a list of names."""
    if isinstance(value, str):
        return [value]
    if is_range(value):
        return [name for _, name in numbered(value["pattern"], value["from"], value["to"])]
    return [str(v) for v in value]


def _fill(value: Any, n: int) -> Any:
    if isinstance(value, str):
        return value.format(n=n)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        out = LocatedList(v.format(n=n) for v in value)
        out.line = getattr(value, "line", 0)
        out.item_lines = list(getattr(value, "item_lines", []))
        return out
    return value


def generated(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """A directory entry, or the ``count`` entries it generates (each keeps the entry's line)."""
    if "count" not in entry:
        return [entry]
    first = entry.get("from", 1)
    out: list[dict[str, Any]] = []
    for n in range(first, first + entry["count"]):
        item = LocatedDict((k, _fill(v, n)) for k, v in entry.items() if k not in ("count", "from"))
        item.line = getattr(entry, "line", 0)
        item.key_lines = dict(getattr(entry, "key_lines", {}))
        out.append(item)
    return out


def expand_entries(entries: list[Any] | None) -> list[Any]:
    return [item for entry in entries or [] for item in generated(entry)]


def step_items(name: str, args: Any) -> list[Any] | None:
    """The arguments of a bulk step, one per object, in the plain form; None for a plain step."""
    if name in NAME_STEPS:
        return None if isinstance(args, str) else names(args)
    if name in ("assign", "unassign"):
        if isinstance(args, list):
            return list(args)
        if is_range(args):
            role = {"role": args["role"]} if "role" in args else {}
            return [{"principal": p, **role} for p in names(args)]
        return None
    if name == "update_user" and not isinstance(args["user"], str):
        changes = {k: v for k, v in args.items() if k != "user"}
        user = args["user"]
        if is_range(user):
            return [
                {"user": who, **{k: _fill(v, n) for k, v in changes.items()}}
                for n, who in numbered(user["pattern"], user["from"], user["to"])
            ]
        return [{"user": who, **changes} for who in names(user)]
    if name in ("add_member", "remove_member") and not isinstance(args["member"], str):
        return [{"group": args["group"], "member": m} for m in names(args["member"])]
    if name in ("add_user", "add_group") and "count" in args:
        return generated(args)
    return None


def principal_names(name: str, items: list[Any]) -> list[str]:
    """The objects a bulk step touches, for the report ("unassign 40 users: ...")."""
    out = []
    for item in items:
        if isinstance(item, str):
            out.append(item)
        elif name in ("assign", "unassign"):
            out.append(str(item["principal"]))
        elif name == "update_user":
            out.append(str(item["user"]))
        elif name in ("add_member", "remove_member"):
            out.append(str(item["member"]))
        else:
            out.append(str(item.get("name", "")))
    return out
