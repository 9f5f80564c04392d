"""What every SCIM request passes before its route: injected faults, the bearer token, the
SCIM switch, Miro's rate limits, the payload limit and the media type. Errors are SCIM bodies."""

from __future__ import annotations

import time

from flask import Response, g
from flask.globals import request_ctx

from ..exceptions import (
    ScimError,
    scim_disabled,
    too_large,
    too_many_requests,
    unauthorized,
    unsupported_media_type,
)
from ..models import MiroBackend
from ..rate_limits import GROUP_PATCH_LARGE_BYTES
from ..wire import ACCEPTED_MEDIA, SCIM_MEDIA, backend, scim_response

# The rate-limited endpoints, by method and route (the group PATCH is keyed by its size below).
_RATE_KEYS = {
    ("GET", "scim.users.list_users"): "GET /Users",
    ("POST", "scim.users.create_user"): "POST /Users",
    ("GET", "scim.users.get_user"): "GET /Users/{id}",
    ("PUT", "scim.users.replace_user"): "PUT /Users/{id}",
    ("PATCH", "scim.users.patch_user"): "PATCH /Users/{id}",
    ("DELETE", "scim.users.delete_user"): "DELETE /Users/{id}",
    ("GET", "scim.groups.list_groups"): "GET /Groups",
    ("GET", "scim.groups.get_group"): "GET /Groups/{id}",
}
_GROUP_PATCH = "scim.groups.patch_group"
# A test's own look at the organisation (the lab's reader, a setup step) is not the client
# under test: with this header the request is not counted against Miro's rate limits.
UNMETERED_HEADER = "X-Fake-Unmetered"


def _fault_response(state: MiroBackend) -> Response | None:
    req = request_ctx.request
    fault = state.faults.match(req.method, req.path)
    if fault is None:
        return None
    if fault.latency_ms:
        time.sleep(fault.latency_ms / 1000)
    if fault.status is None:
        return None
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    body = fault.body
    if body is None:
        if fault.status == 429:
            body = too_many_requests(fault.retry_after or 1).body()
        else:
            body = ScimError(fault.status, f"Injected fault {fault.id}").body()
    if fault.status == 204:
        g.journal_response = None
        return Response(status=204, headers=headers)
    return scim_response(body, fault.status, headers)


def _retry_after_header(setting: int | str | None, window_frees_in: int) -> int | None:
    if setting == "window":
        return window_frees_in
    return setting if isinstance(setting, int) else None


def guard() -> Response | None:
    """The SCIM blueprint's ``before_request``: a response ends the request early."""
    req = request_ctx.request  # the request itself: one proxy lookup, not twenty
    state = backend()
    # Bounds reads of bodies without a Content-Length: a read stops one byte past the limit,
    # which the size check below turns into 413.
    req.max_content_length = state.settings.max_payload_bytes + 1
    if state.faults:  # an empty fault book needs no lock
        fault = _fault_response(state)
        if fault is not None:
            return fault
    settings = state.settings
    scheme, _, token = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or token.strip() != settings.token:
        raise unauthorized()
    if not settings.scim_enabled:
        raise scim_disabled()
    method = req.method
    if settings.rate_limits and not req.headers.get(UNMETERED_HEADER):
        endpoint = req.endpoint or ""
        key = _RATE_KEYS.get((method, endpoint))
        if method == "PATCH" and endpoint == _GROUP_PATCH:
            size = req.content_length or len(req.get_data(cache=True))
            key = "PATCH /Groups/{id} " + ("large" if size > GROUP_PATCH_LARGE_BYTES else "small")
        if key is not None:
            with state.lock:
                retry = state.rate_limiter.hit(key, state.now())
            if retry is not None:
                raise too_many_requests(_retry_after_header(settings.rate_limit_retry_after, retry))
    limit = settings.max_payload_bytes
    length = req.content_length
    if length is not None and length > limit:
        raise too_large(f"Request payload exceeds {limit} bytes")
    if method in ("POST", "PUT", "PATCH"):
        raw = req.get_data(cache=True)
        if len(raw) > limit:
            raise too_large(f"Request payload exceeds {limit} bytes")
        if (req.content_type or raw) and req.mimetype not in ACCEPTED_MEDIA:
            raise unsupported_media_type(
                f"Unsupported media type '{req.content_type or ''}': use {SCIM_MEDIA} or application/json"
            )
    return None
