"""A Flask fake of Microsoft Graph v1.0's directory surface (users, groups, members, applications,
service principals, app role assignments, deleted items, delta, ``$batch``, OData) that the real
msgraph-sdk accepts unchanged. Knows nothing of Miro or the harness."""

from mock_graph.app import create_app
from mock_graph.exceptions import GraphError
from mock_graph.models import GraphBackend
from mock_graph.settings import Settings

__all__ = ["GraphBackend", "GraphError", "Settings", "create_app"]
