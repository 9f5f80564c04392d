"""The in-process lab: both fakes, one virtual clock, the Miro job, and HTTP clients.

>>> lab = Lab(seed=1)
>>> lab.graph_client.post("/v1.0/users", json={...})          # set up the directory
>>> lab.start(); lab.advance("0")                              # run the initial cycle
>>> lab.miro_client.get("/api/v1/scim/Users")                  # look at Miro

In-process, the engine reaches the fakes at ``http://graph.local`` and ``http://miro.local``
through a WSGI transport (no sockets). ``Lab.served()`` serves both apps on loopback ports and
everything, the engine included, goes over TCP.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

import httpx

import mock_graph
import mock_miro
from harness.clock import VirtualClock
from harness.engine import rules
from harness.engine.jobs import SyncStore
from harness.engine.logs.store import LogStore
from harness.engine.rules.schema import miro_template
from harness.engine.service import ProvisioningService
from harness.engine.settings import EngineSettings
from harness.graph_api import mount
from harness.http import BorrowedTransport, ClientCredentialsAuth, RoutingTransport, make_client
from harness.lab.identity import ClientCredentials, register_admin_client
from harness.lab.rule_parsing import share_rule_parsing
from harness.lab.surface import LAB_USER_AGENT, UNMETERED_HEADER, LabSurface, ok
from harness.lab.url_builders import defer_url_builders
from harness.servers import PRODUCTION_SERVER, ServerThread
from harness.tls import RunAuthority

GRAPH_HOST = "graph.local"
MIRO_HOST = "miro.local"
SCIM_PATH = "/api/v1/scim"
MIRO_TEMPLATE_ID = "miro"
DEFAULT_ACCESS_ROLE_ID = "00000000-0000-0000-0000-000000000000"
# Journal entries each fake keeps (the latest): enough for any scenario, and a 100,000-user
# initial cycle no longer keeps every request it sent (unbounded, ~8 KB per user).
DEFAULT_JOURNAL_LIMIT = 10_000


# Every lab builds two Flask apps with the same routes: their URL builders are compiled on first
# use (4x faster labs), and each rule string is parsed once per process, not once per lab.
defer_url_builders()
share_rule_parsing()


@cache
def _template() -> tuple[dict[str, Any], Any]:
    """The Miro gallery template and its parsed schema: once per process, shared by labs."""
    template = miro_template()
    return template, rules.load(template["schema"])


def miro_app_roles(seed: int | str) -> list[dict[str, Any]]:
    """Miro's app roles: ``User`` and the Default Access role (``msiam_access``), as Miro's
    gallery app declares them: https://learn.microsoft.com/en-us/entra/identity/saas-apps/miro-provisioning-tutorial"""
    user_role = str(uuid.uuid5(uuid.NAMESPACE_URL, f"harness:miro-user-role:{seed}"))
    return [
        {
            "allowedMemberTypes": ["User"],
            "description": "User",
            "displayName": "User",
            "id": user_role,
            "isEnabled": True,
            "origin": "Application",
            "value": "User",
        },
        {
            "allowedMemberTypes": ["User"],
            "description": "msiam_access",
            "displayName": "Default Access",
            "id": DEFAULT_ACCESS_ROLE_ID,
            "isEnabled": True,
            "origin": "Application",
            "value": None,
        },
    ]


# Miro's entry in the application gallery (GET /applicationTemplates?$filter=displayName eq 'Miro').
# Microsoft does not publish the gallery's ids: this one is the harness's own, fixed.
MIRO_APPLICATION_TEMPLATE_ID = str(
    uuid.uuid5(uuid.NAMESPACE_URL, "harness:miro-application-template")
)


def miro_application_template() -> dict[str, Any]:
    """The ``applicationTemplate`` the Miro gallery app is instantiated from (fields per
    https://learn.microsoft.com/en-us/graph/api/resources/applicationtemplate; the values are
    the harness's, from Microsoft's Miro tutorials: SAML single sign-on and SCIM provisioning)."""
    return {
        "id": MIRO_APPLICATION_TEMPLATE_ID,
        "displayName": "Miro",
        "homePageUrl": "https://miro.com/",
        "logoUrl": None,
        "publisher": "Miro",
        "categories": ["collaboration", "productivity"],
        "description": "Miro is an online collaborative whiteboard. Microsoft Entra ID can "
        "provision its users and teams (SCIM) and sign them in (SAML).",
        "supportedProvisioningTypes": ["sync"],
        "supportedSingleSignOnModes": ["saml"],
    }


class Lab(LabSurface):
    """Both fakes wired to the engine on one virtual clock. Cheap: build one per test."""

    # No read timeout for advance: the cycles run inside that request (a big tenant's take minutes).
    advance_timeout = None

    def __init__(
        self,
        seed: int = 0,
        *,
        served: bool = False,
        miro_settings: dict[str, Any] | None = None,
        strict_graph_auth: bool = False,
        check_credentials: bool = False,
        admin_client: ClientCredentials | None = None,
        tls: RunAuthority | None = None,
        journal_limit: int | None = DEFAULT_JOURNAL_LIMIT,
        server: str = PRODUCTION_SERVER,
        **settings: Any,
    ) -> None:
        """``server``: the WSGI server of a served lab (``cheroot``, ``werkzeug`` or
        ``waitress``); cheroot costs ~30 % less CPU per request than werkzeug's dev server.
        ``journal_limit``: the latest requests each fake's journal keeps; None leaves the
        fakes' own defaults (Graph: all, Miro: its ``journal_limit`` setting, 100,000). A
        ``journal_limit`` in ``miro_settings`` wins for Miro.
        ``check_credentials``: the Graph fake checks client secrets and application
        permissions (``--strict-auth``). ``admin_client``: an application registered in the
        tenant with the permissions that administer the Miro app (made when
        ``check_credentials`` is on and none is given); the lab's clients and the engine sign
        in with it. ``tls``: a served lab listens on HTTPS with this authority's certificate,
        and every client of the lab verifies it with the authority's CA."""
        self.seed = seed
        self.clock = VirtualClock()
        self.graph_app = mock_graph.create_app(
            clock=self.clock.now,
            strict_auth=strict_graph_auth,
            check_credentials=check_credentials,
            journal_limit=journal_limit,
        )
        if journal_limit is not None:
            miro_settings = {"journal_limit": journal_limit, **(miro_settings or {})}
        self.miro_app = mock_miro.create_app(clock=self.clock.now, settings=miro_settings)
        self.graph = self.graph_app.extensions["mock_graph"]
        self.miro = self.miro_app.extensions["mock_miro"]
        # Over TLS, every request of the lab (the engine's too) verifies the run's CA.
        fallback = httpx.HTTPTransport(verify=tls.client_context()) if tls is not None else None
        self.transport = RoutingTransport(fallback=fallback)
        self.tls = tls
        self._servers: list[ServerThread] = []

        self.settings = EngineSettings(**settings)
        self.store = SyncStore(tenant_id=str(getattr(self.graph, "tenant_id", "")), seed=seed)
        template, schema = _template()
        self.store.add_template(template, schema)
        self.logs = LogStore()
        self.service = ProvisioningService(
            store=self.store,
            logs=self.logs,
            now=self.clock.now,
            set_clock=self.clock.set,
            transport=self.transport,
            graph_base_url="",  # set below, once the URLs are known
            settings=self.settings,
            seed=seed,
        )
        mount(self.graph_app, self.service)

        if served:
            graph_server = ServerThread(self.graph_app, name="graph", server=server, tls=tls)
            self._servers.append(graph_server.start())
            miro_server = ServerThread(self.miro_app, name="miro", server=server, tls=tls)
            miro_server.start()
            self._servers.append(miro_server)
            self.graph_url, self.miro_url = graph_server.url, miro_server.url
        else:
            self.transport.bind(GRAPH_HOST, self.graph_app)
            self.transport.bind(MIRO_HOST, self.miro_app)
            self.graph_url, self.miro_url = f"http://{GRAPH_HOST}", f"http://{MIRO_HOST}"
        self.service.graph_base_url = self.graph_url
        self.scim_url = self.miro_url + SCIM_PATH

        # "Add Miro from the gallery": the application template the tutorial instantiates.
        self.graph.gallery.add(miro_application_template(), miro_app_roles(seed))
        _, sp = self.graph.create_enterprise_app(
            "Miro", app_roles=miro_app_roles(seed), template_id=MIRO_APPLICATION_TEMPLATE_ID
        )
        self.service_principal = sp
        self.service_principal_id: str = sp["id"]
        self.app_roles = {r["displayName"]: r["id"] for r in sp.get("appRoles", [])}
        job = self.store.create_job(self.service_principal_id, MIRO_TEMPLATE_ID)
        self.job_id = job.id
        self.store.put_secrets(
            self.service_principal_id,
            [
                {"key": "BaseAddress", "value": self.scim_url},
                {"key": "SecretToken", "value": mock_miro.DEFAULT_TOKEN},
            ],
        )
        if check_credentials and admin_client is None:
            admin_client = ClientCredentials()
        self.admin_client = admin_client
        if admin_client is not None:
            register_admin_client(self.graph, admin_client)
            self.service.graph_credentials = (admin_client.client_id, admin_client.client_secret)
        self.graph_client = make_client(
            self.graph_url,
            transport=BorrowedTransport(self.transport),
            headers={"Authorization": "Bearer lab", "User-Agent": LAB_USER_AGENT},
        )
        if strict_graph_auth or check_credentials:
            client_id, secret = ("harness-lab", "lab")
            if admin_client is not None:
                client_id, secret = (admin_client.client_id, admin_client.client_secret)
            token = self.graph_client.post(
                f"/{self.graph.tenant_id}/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": client_id,
                    "client_secret": secret,
                    "scope": "https://graph.microsoft.com/.default",
                },
            )
            self.graph_client.headers["Authorization"] = (
                f"Bearer {ok(token).json()['access_token']}"
            )
            self.graph_client.auth = ClientCredentialsAuth(
                f"{self.graph_url}/{self.graph.tenant_id}/oauth2/v2.0/token",
                client_id,
                secret,
                self.graph_client.headers,
            )
        self.miro_client = make_client(
            self.miro_url,
            transport=BorrowedTransport(self.transport),
            headers={
                "Authorization": f"Bearer {mock_miro.DEFAULT_TOKEN}",
                "User-Agent": LAB_USER_AGENT,
                # The test's own look at Miro does not spend the engine's rate-limit budget.
                UNMETERED_HEADER: "1",
            },
        )

    @classmethod
    def served(cls, seed: int = 0, **kwargs: Any) -> Lab:
        """A lab whose fakes listen on loopback ports (free ports); close it when done."""
        return cls(seed, served=True, **kwargs)

    @property
    def servers(self) -> tuple[ServerThread, ...]:
        """The lab's own servers when it is served (none in-process)."""
        return tuple(self._servers)

    def close(self) -> None:
        super().close()
        for server in self._servers:
            server.stop()
        self._servers.clear()
        self.transport.close()
