"""Pages of a listing: rendered items, where the next page starts, and the total if asked."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from mock_graph.models.objects import DirObject

Render = Callable[[DirObject], dict[str, Any]]
Order = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
Predicate = Callable[[dict[str, Any]], bool]


@dataclass
class Page:
    """One page of a listing: rendered items, where to continue, and the total if asked."""

    items: list[dict[str, Any]]
    cursor: dict[str, Any] | None = None
    count: int | None = None


def ordered(objs: list[DirObject], order: Order) -> list[DirObject]:
    """The objects in the order ``order`` (an $orderby sorter over their data) puts them."""
    by_data = {id(o.data): o for o in objs}
    return [by_data[id(d)] for d in order([o.data for o in objs])]


def page_by_offset(
    source: Iterator[DirObject] | Iterable[DirObject],
    cursor: dict[str, Any] | None,
    top: int,
    count: bool,
    render: Render,
) -> Page:
    off = int(cursor.get("off", 0)) if cursor else 0
    if count:
        materialised = list(source)
        window = materialised[off : off + top + 1]
        total: int | None = len(materialised)
    else:
        window = list(itertools.islice(source, off, off + top + 1))
        total = None
    items = [render(o) for o in window[:top]]
    nxt = {"off": off + top} if len(window) > top else None
    return Page(items, nxt, total)
