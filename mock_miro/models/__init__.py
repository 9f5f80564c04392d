"""The Miro fake's state, apart from HTTP: :class:`MiroBackend` (the organisation behind the
SCIM routes, one lock) and the :class:`Organisation` it keeps its users and groups in."""

from .backend import DEFAULT_BASE_URL, LAST_ADMIN, MiroBackend
from .organisation import ID_BASE, Group, Organisation, User, user_key

__all__ = [
    "DEFAULT_BASE_URL",
    "ID_BASE",
    "LAST_ADMIN",
    "Group",
    "MiroBackend",
    "Organisation",
    "User",
    "user_key",
]
