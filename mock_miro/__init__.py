"""A faithful fake of Miro's SCIM 2.0 API (https://miro.com/api/v1/scim).

>>> app = create_app()
>>> app.extensions["mock_miro"].seed(1, users=3, teams=["Design"])
"""

from .app import create_app
from .models import MiroBackend
from .settings import DEFAULT_TOKEN, Settings

__all__ = ["DEFAULT_TOKEN", "MiroBackend", "Settings", "create_app"]
