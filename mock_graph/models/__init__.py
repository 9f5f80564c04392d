"""The Graph fake's state, apart from HTTP: :class:`GraphBackend` (the tenant, one lock) and
the :class:`Directory` it keeps its objects, relationships and change log in."""

from mock_graph.models.backend import GraphBackend, default_clock
from mock_graph.models.directory import ChangeLog, Directory
from mock_graph.models.objects import Assignment, DirObject, project
from mock_graph.models.paging import Page
from mock_graph.models.values import check_object_id, is_guid, iso, parse_iso, ref_id

__all__ = [
    "Assignment",
    "ChangeLog",
    "DirObject",
    "Directory",
    "GraphBackend",
    "Page",
    "check_object_id",
    "default_clock",
    "is_guid",
    "iso",
    "parse_iso",
    "project",
    "ref_id",
]
