"""The Graph fake's read speed: all users in pages of 999, and the delta round trip (a full
enumeration to the ``@odata.deltaLink``, then following that link with 0 and with 100 changes),
in-process, through the same client the engine uses."""

from __future__ import annotations

import time
from typing import Any

from harness.bench.progress import Progress
from harness.bench.tenant import user_body
from harness.engine.directory import GraphDirectory
from harness.lab.local import Lab

PAGE = 999


def _read_all(lab: Lab, progress: Progress, users: int) -> dict[str, Any]:
    progress.begin(f"Graph: list {users:,} users, $top={PAGE}", total=users)
    began = time.perf_counter()
    pages, seen = 0, 0
    response = lab.graph_client.get("/v1.0/users", params={"$top": str(PAGE)})
    while True:
        response.raise_for_status()
        body = response.json()
        pages += 1
        seen += len(body["value"])
        progress.add(len(body["value"]))
        link = body.get("@odata.nextLink")
        if not link:
            break
        response = lab.graph_client.get(link)
    wall = time.perf_counter() - began
    progress.end()
    if seen != users:
        raise RuntimeError(f"listed {seen} users, expected {users}")
    return {
        "wall_s": round(wall, 4),
        "pages": pages,
        "users": seen,
        "users_per_s": round(seen / wall, 1) if wall > 0 else None,
    }


def run(users: int, progress: Progress) -> dict[str, Any]:
    with Lab(3) as lab:
        ids = [lab.graph.create_user(user_body(i))["id"] for i in range(users)]
        listing = _read_all(lab, progress, users)
        directory = GraphDirectory(lab.transport, lab.graph_url)
        try:
            began = time.perf_counter()
            full = directory.users_delta(None)
            full_s = time.perf_counter() - began
            if len(full.items) != users:
                raise RuntimeError(f"delta returned {len(full.items)} users, expected {users}")
            began = time.perf_counter()
            none = directory.users_delta(full.delta_link)
            none_s = time.perf_counter() - began
            changed = min(100, users)
            for uid in ids[:changed]:
                lab.graph.update_user(uid, {"jobTitle": "Changed"})
            began = time.perf_counter()
            some = directory.users_delta(none.delta_link)
            some_s = time.perf_counter() - began
            if len(some.items) != changed:
                raise RuntimeError(
                    f"delta follow-up returned {len(some.items)}, expected {changed}"
                )
        finally:
            directory.close()
    return {
        "users": users,
        "list_pages_of_999": listing,
        "delta": {
            "full_round_s": round(full_s, 4),
            "full_round_pages": full.pages,
            "follow_up_0_changes_s": round(none_s, 4),
            "follow_up_100_changes_s": round(some_s, 4),
            "follow_up_100_changes_items": len(some.items),
            "round_trip_s": round(full_s + none_s + some_s, 4),
        },
    }
