"""SCIM on the wire: the media type a client asked for, JSON bodies in and out, SCIM error
bodies, and absolute locations built from the request's own host. Every route module uses
these."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from flask import Response, current_app, g, request
from werkzeug.sansio.utils import get_current_url

from fakekit.validation import JsonInputError, parse_json

from .exceptions import ScimError, invalid_syntax
from .models import MiroBackend

PREFIX = "/api/v1/scim"
SCIM_MEDIA = "application/scim+json"
ACCEPTED_MEDIA = frozenset({SCIM_MEDIA, "application/json"})
# Put in ``g.journal_response`` by scim_response: "journal the response's bytes". A route may
# instead put the document it sent there, or None for "no body".
SENT_BODY = object()


def backend() -> MiroBackend:
    found: MiroBackend = current_app.extensions["mock_miro"]
    return found


def base_url() -> str:
    return _base_url(request.scheme, request.host)


@lru_cache(maxsize=64)
def _base_url(scheme: str, host: str) -> str:
    # werkzeug's host_url (an IRI: percent-escapes and punycode decoded) is rebuilt for every
    # request otherwise, and a server sees few hosts.
    return get_current_url(scheme, host).rstrip("/") + PREFIX


def media_type() -> str:
    """``application/json`` if that is all the client accepts, else SCIM's own media type."""
    accept = request.headers.get("Accept", "")
    if "application/json" in accept and SCIM_MEDIA not in accept and "*/*" not in accept:
        return "application/json"
    return SCIM_MEDIA


def scim_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    g.journal_response = SENT_BODY  # the journal keeps the bytes below and decodes them on read
    body = json.dumps(obj, ensure_ascii=False)
    response = Response(body, status=status, mimetype=media_type())
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def no_content() -> Response:
    g.journal_response = None
    return Response(status=204)


def error_response(error: ScimError) -> Response:
    return scim_response(error.body(), error.status, error.headers)


def json_body() -> Any:
    """The request's JSON, checked by the shared validation layer (depth, lone surrogates,
    numbers no field can hold); SCIM's invalidSyntax 400 otherwise."""
    raw = request.get_data(cache=True)
    if not raw:
        raise invalid_syntax("The request body is empty")
    try:
        return parse_json(raw)
    except JsonInputError as exc:
        raise invalid_syntax(str(exc)) from exc
