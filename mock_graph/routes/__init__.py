"""Graph v1.0's routes, one module per resource. Each route parses the request, calls the
backend and serialises; each module declares a ``bp`` blueprint with ``@bp.get``/``@bp.post``
(one function per method and path)."""

from flask import Blueprint

from mock_graph.routes import (
    application_templates,
    applications,
    auth,
    batch,
    directory,
    groups,
    organization,
    users,
)

# In the order create_app registers them (the control plane comes between batch and auth).
BLUEPRINTS: tuple[Blueprint, ...] = (
    users.bp,
    groups.bp,
    applications.bp,
    application_templates.bp,
    directory.bp,
    organization.bp,
    batch.bp,
)
TOKEN_BLUEPRINT = auth.bp

__all__ = ["BLUEPRINTS", "TOKEN_BLUEPRINT"]
