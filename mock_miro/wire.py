"""SCIM on the wire: the media type a client asked for, JSON bodies in and out, SCIM error
bodies, and absolute locations built from the request's own host. Every route module uses
these."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import Response, current_app, g, request
from werkzeug.sansio.utils import get_current_url

from fakekit import RawBody
from fakekit.validation import JsonInputError, parse_json

from .exceptions import ScimError, invalid_syntax
from .models import MiroBackend

PREFIX = "/api/v1/scim"
SCIM_MEDIA = "application/scim+json"
ACCEPTED_MEDIA = frozenset({SCIM_MEDIA, "application/json"})


@dataclass(frozen=True, slots=True)
class SentBody:
    """Put in ``g.journal_response`` by scim_response: the bytes it sent, kept for the journal
    without reading them back out of the response (used only if ``response`` is the one
    answered). A route may instead put the document it sent there, or None for "no body"."""

    response: Response
    body: RawBody


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
    return _media_type(request.environ.get("HTTP_ACCEPT", ""))  # the Accept header


@lru_cache(maxsize=64)
def _media_type(accept: str) -> str:
    # A client sends the same Accept header with every request.
    if "application/json" in accept and SCIM_MEDIA not in accept and "*/*" not in accept:
        return "application/json"
    return SCIM_MEDIA


def scim_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = json.dumps(obj, ensure_ascii=False).encode()
    response = Response(body, status=status, mimetype=media_type())
    for key, value in (headers or {}).items():
        response.headers[key] = value
    # The journal keeps these bytes and decodes them on read.
    g.journal_response = SentBody(response, RawBody.keep(body, response.content_type))
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
