"""Miro's SCIM 2.0 routes under ``/api/v1/scim``, one module per resource. Each route parses the
request, calls the backend and serialises; each module declares a ``bp`` blueprint with
``@bp.get``/``@bp.post`` (one function per method and path). They are nested in one ``scim``
blueprint, whose guard runs before every one of them."""

from flask import Blueprint

from ..wire import PREFIX
from . import discovery, groups, users
from .guards import guard

scim = Blueprint("scim", __name__, url_prefix=PREFIX)
scim.before_request(guard)
for _child in (discovery.bp, users.bp, groups.bp):
    scim.register_blueprint(_child)

__all__ = ["scim"]
