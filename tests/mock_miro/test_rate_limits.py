"""Miro's per-endpoint 30-second windows (https://developers.miro.com/docs/scim-rate-limits),
on by default, on the fake's clock; no Retry-After unless a setting asks for one."""

from __future__ import annotations

import pytest

from mock_miro import MiroBackend
from tests.support.miro import Scim, StepClock, added_users, assert_scim_error


def test_on_by_default_with_miros_429_body_and_no_retry_after(scim: Scim) -> None:
    for _ in range(5):
        assert scim.get("/Groups").status_code == 200
    limited = scim.get("/Groups")
    assert limited.get_json() == {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": "429",
        "scimType": "tooManyRequests",
        "detail": "The user has sent too many requests in a given amount of time",
    }
    assert "Retry-After" not in limited.headers  # Miro documents none


def test_off_as_a_setting(scim: Scim, backend: MiroBackend) -> None:
    backend.update_settings({"rate_limits": False})
    for _ in range(10):
        assert scim.get("/Groups").status_code == 200


def test_unmetered_header_is_not_counted(scim: Scim) -> None:
    for _ in range(10):
        assert scim.call("GET", "/Groups", headers={"X-Fake-Unmetered": "1"}).status_code == 200
    for _ in range(5):
        assert scim.get("/Groups").status_code == 200
    assert_scim_error(scim.get("/Groups"), 429, "tooManyRequests")


@pytest.mark.parametrize(("setting", "header"), [(7, "7"), (0, "0"), ("window", "30")])
def test_retry_after_as_a_setting(
    scim: Scim, backend: MiroBackend, setting: int | str, header: str
) -> None:
    backend.update_settings({"rate_limit_retry_after": setting})
    for _ in range(5):
        scim.get("/Groups")
    assert scim.get("/Groups").headers["Retry-After"] == header


def test_get_groups_allows_5_per_30_seconds(
    scim: Scim, backend: MiroBackend, clock: StepClock
) -> None:
    backend.update_settings({"rate_limit_retry_after": "window"})
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
        ("GET", "/Users", 200),
        ("GET", "/Users/1", 200),
        ("PUT", "/Users/1", 100),
        ("PATCH", "/Users/1", 100),
        ("DELETE", "/Users/1", 20),
        ("GET", "/Groups", 5),
        ("GET", "/Groups/1", 20),
    ],
)
def test_miros_table_by_default(scim: Scim, method: str, path: str, limit: int) -> None:
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": []}
    for _ in range(limit):
        # Counted even when the target is missing or the body is refused.
        assert scim.call(
            method, path, body if method in ("PUT", "PATCH") else None
        ).status_code in (
            200,
            400,
            404,
        )
    assert_scim_error(scim.call(method, path), 429, "tooManyRequests")


def test_post_users_allows_200_per_window(scim: Scim, backend: MiroBackend) -> None:
    for n in range(200):
        assert scim.post("/Users", {"userName": f"u{n}@x.com"}).status_code == 201
    assert_scim_error(scim.post("/Users", {"userName": "late@x.com"}), 429, "tooManyRequests")
    assert len(added_users(backend)) == 200


def test_group_patch_limit_depends_on_body_size(scim: Scim, backend: MiroBackend) -> None:
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
    for n in range(200):
        backend.rate_limiter.hit("POST /Users", backend.now())
        del n
    assert_scim_error(scim.post("/Users", {"userName": "late@x.com"}), 429)
    assert added_users(backend) == {}
