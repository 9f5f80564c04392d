"""Miro's per-endpoint 30-second windows (https://developers.miro.com/docs/scim-rate-limits),
off by default, on the fake's clock."""

from __future__ import annotations

import pytest

from mock_miro import MiroBackend
from tests.support.miro import Scim, StepClock, assert_scim_error


def test_off_by_default(scim: Scim) -> None:
    for _ in range(10):
        assert scim.get("/Groups").status_code == 200


def test_get_groups_allows_5_per_30_seconds(
    scim: Scim, backend: MiroBackend, clock: StepClock
) -> None:
    backend.update_settings({"rate_limits": True})
    for _ in range(5):
        assert scim.get("/Groups").status_code == 200
        clock.advance(1)
    limited = scim.get("/Groups")
    body = assert_scim_error(limited, 429, "tooManyRequests")
    assert body["detail"] == "The user has sent too many requests in a given amount of time"
    assert limited.headers["Retry-After"] == "25"  # now t=5; the first request (t=0) leaves at t=30
    assert scim.get("/Users").status_code == 200  # other endpoints have their own window
    clock.advance(24)
    assert_scim_error(scim.get("/Groups"), 429)
    clock.advance(1)
    assert scim.get("/Groups").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "limit"),
    [
        ("DELETE", "/Users/1", 20),
        ("GET", "/Groups/1", 20),
    ],
)
def test_other_limits(scim: Scim, backend: MiroBackend, method: str, path: str, limit: int) -> None:
    backend.update_settings({"rate_limits": True})
    for _ in range(limit):
        assert scim.call(method, path).status_code == 404  # counted even when the target is missing
    assert_scim_error(scim.call(method, path), 429)


def test_group_patch_limit_depends_on_body_size(scim: Scim, backend: MiroBackend) -> None:
    backend.update_settings({"rate_limits": True})
    team = backend.create_team("T")["id"]
    big_name = "x" * 520
    for _ in range(5):
        assert (
            scim.patch(
                f"/Groups/{team}", {"op": "replace", "path": "displayName", "value": big_name}
            ).status_code
            == 200
        )
    assert_scim_error(
        scim.patch(f"/Groups/{team}", {"op": "replace", "path": "displayName", "value": big_name}),
        429,
    )
    assert (
        scim.patch(
            f"/Groups/{team}", {"op": "replace", "path": "displayName", "value": "small"}
        ).status_code
        == 200
    )


def test_a_limited_request_changes_nothing(scim: Scim, backend: MiroBackend) -> None:
    backend.update_settings({"rate_limits": True})
    for n in range(200):
        backend.rate_limiter.hit("POST /Users", backend.now())
        del n
    assert_scim_error(scim.post("/Users", {"userName": "late@x.com"}), 429)
    assert backend.users == {}
