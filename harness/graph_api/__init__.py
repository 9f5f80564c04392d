"""Graph's synchronization API, provisioning logs and the harness's control routes, mounted onto
the Graph fake's app by :func:`mount`."""

from __future__ import annotations

from flask import Flask

from harness.engine.service import ProvisioningService
from harness.graph_api.control import create_blueprint as control_blueprint
from harness.graph_api.provisioning_logs import create_blueprint as logs_blueprint
from harness.graph_api.synchronization import create_blueprint as sync_blueprint

__all__ = ["mount"]


def mount(graph_app: Flask, service: ProvisioningService) -> Flask:
    """Add the synchronization API, ``/v1.0/auditLogs/provisioning`` and ``/_fake/clock`` to
    ``graph_app``; the routes find ``service`` in ``app.extensions``."""
    graph_app.extensions["harness_engine"] = service
    graph_app.extensions["harness_logs"] = service.logs
    graph_app.extensions["harness_audits"] = service.audits
    graph_app.register_blueprint(sync_blueprint())
    graph_app.register_blueprint(logs_blueprint())
    graph_app.register_blueprint(control_blueprint())
    return graph_app
