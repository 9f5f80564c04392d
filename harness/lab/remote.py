"""A lab-like handle on a harness that runs elsewhere (``harness serve``, a container).

Built from the ready-file object that ``harness serve --ready-file`` writes (the same object
``GET /_fake/lab`` answers), it has the HTTP-facing surface of :class:`harness.lab.local.Lab`:
``graph_client``, ``miro_client``, ``service_principal_id``, ``job_id``, ``app_roles``,
``start()``, ``advance()``, ``job()``, ``provisioning_logs()``, ``close()``. What a Lab exposes
in-process (``graph``, ``miro``, ``service``, ``store``, ``clock``) has no remote equivalent:
a scenario written against the HTTP surface runs unchanged against either.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from harness.http import ClientCredentialsAuth, make_client
from harness.lab.surface import (
    CONTROL_TOKEN_HEADER,
    LAB_USER_AGENT,
    UNMETERED_HEADER,
    LabSurface,
    ok,
)

GRAPH_VERSION_SUFFIX = "/v1.0"
SCIM_SUFFIX = "/api/v1/scim"
REQUIRED_KEYS = (
    "graph_url",
    "miro_url",
    "miro_token",
    "tenant_id",
    "service_principal_id",
    "job_id",
    "clock_url",
)


# The keys of a ready object that say where this side reaches the servers.
ADDRESS_KEYS = ("graph_url", "miro_url", "clock_url", "authority", "ca_bundle")


class ReadyInfoError(ValueError):
    """A ready-file object that lacks what a remote lab needs."""


def _strip(url: str, suffix: str, key: str) -> str:
    url = url.rstrip("/")
    if not url.endswith(suffix):
        raise ReadyInfoError(f"{key} must end with {suffix}: {url!r}")
    return url[: -len(suffix)]


def trust_of(info: Mapping[str, Any]) -> ssl.SSLContext | bool:
    """What verifies the servers of a ready-file object: its ``ca_bundle`` (``--tls``) or the
    system's trust store."""
    bundle = info.get("ca_bundle")
    if isinstance(bundle, str) and bundle:
        return ssl.create_default_context(cafile=bundle)
    return True


class RemoteLab(LabSurface):
    """The Lab's HTTP surface over a served or containerised harness."""

    def __init__(self, info: Mapping[str, Any], *, timeout: float = 30.0) -> None:
        missing = [k for k in REQUIRED_KEYS if not isinstance(info.get(k), str) or not info[k]]
        if missing:
            raise ReadyInfoError(f"the ready information lacks {', '.join(missing)}")
        self.info = dict(info)
        self.graph_url = _strip(info["graph_url"], GRAPH_VERSION_SUFFIX, "graph_url")
        self.miro_url = _strip(info["miro_url"], SCIM_SUFFIX, "miro_url")
        self.scim_url = self.miro_url + SCIM_SUFFIX
        verify = trust_of(info)
        self.graph_client = make_client(
            self.graph_url,
            headers={"Authorization": "Bearer lab", "User-Agent": LAB_USER_AGENT},
            timeout=timeout,
            verify=verify,
        )
        self.miro_client = make_client(
            self.miro_url,
            headers={
                "Authorization": f"Bearer {info['miro_token']}",
                "User-Agent": LAB_USER_AGENT,
                UNMETERED_HEADER: "1",  # the test's reads do not spend the engine's budget
            },
            timeout=timeout,
            verify=verify,
        )
        control_token = info.get("control_token")
        if isinstance(control_token, str) and control_token:
            for client in (self.graph_client, self.miro_client):
                client.headers[CONTROL_TOKEN_HEADER] = control_token
        self._sign_in(info)
        self._adopt(self.info)

    def _sign_in(self, info: Mapping[str, Any]) -> None:
        """With the ready file's client (``harness serve --tls`` / ``--strict-auth``), a real
        token from the tenant's token endpoint: a strict Graph fake accepts no other."""
        client_id, secret = info.get("client_id"), info.get("client_secret")
        if not (isinstance(client_id, str) and isinstance(secret, str)):
            return
        answer = self.graph_client.post(
            f"/{info['tenant_id']}/oauth2/v2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": secret,
                "scope": "https://graph.microsoft.com/.default",
            },
        )
        self.graph_client.headers["Authorization"] = f"Bearer {ok(answer).json()['access_token']}"
        self.graph_client.auth = ClientCredentialsAuth(
            f"{self.graph_url}/{info['tenant_id']}/oauth2/v2.0/token",
            client_id,
            secret,
            self.graph_client.headers,
        )

    @classmethod
    def from_ready_file(cls, path: str | Path, **kwargs: Any) -> RemoteLab:
        try:
            info = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReadyInfoError(f"cannot read ready file {path}: {exc}") from exc
        if not isinstance(info, dict):
            raise ReadyInfoError(f"ready file {path} does not hold a JSON object")
        return cls(info, **kwargs)

    @staticmethod
    def fetch_info(
        graph_root: str,
        timeout: float = 10.0,
        *,
        control_token: str | None = None,
        verify: ssl.SSLContext | bool = True,
    ) -> dict[str, Any]:
        """The ready object of a running ``harness serve``, from its Graph listener's root URL
        (``control_token``: the one it requires, when served beyond loopback; ``verify``: a
        context trusting its CA, when served with ``--tls``)."""
        headers = {CONTROL_TOKEN_HEADER: control_token} if control_token else {}
        url = graph_root.rstrip("/") + "/_fake/lab"
        return dict(ok(httpx.get(url, timeout=timeout, headers=headers, verify=verify)).json())

    @classmethod
    def from_url(
        cls, graph_root: str, *, control_token: str | None = None, **kwargs: Any
    ) -> RemoteLab:
        return cls(cls.fetch_info(graph_root, control_token=control_token), **kwargs)

    def _adopt(self, info: Mapping[str, Any]) -> None:
        self.tenant_id: str = str(info["tenant_id"])
        self.service_principal_id: str = str(info["service_principal_id"])
        self.job_id: str = str(info["job_id"])
        self.seed = info.get("seed")
        roles = info.get("app_roles")
        if isinstance(roles, dict):
            self.app_roles: dict[str, str] = {str(k): str(v) for k, v in roles.items()}
        else:  # an older ready file: read the roles from the service principal
            sp = ok(
                self.graph_client.get(f"/v1.0/servicePrincipals/{self.service_principal_id}")
            ).json()
            self.app_roles = {r["displayName"]: r["id"] for r in sp.get("appRoles", [])}

    # -- served-harness extras ------------------------------------------------------------

    def reset(
        self,
        seed: int = 0,
        *,
        demo: bool = False,
        settings: Mapping[str, Any] | None = None,
        miro_settings: Mapping[str, Any] | None = None,
    ) -> None:
        """A fresh lab behind the same ports (``POST /_fake/lab/reset``), as ``Lab(seed, ...)``."""
        body = {
            "seed": seed,
            "demo": demo,
            "settings": dict(settings or {}),
            "miro_settings": dict(miro_settings or {}),
        }
        self._renew(ok(self.graph_client.post("/_fake/lab/reset", json=body)).json())

    def state(self) -> dict[str, Any]:
        """Both fakes, the clock and the engine (``GET /_fake/lab/state``)."""
        return dict(ok(self.graph_client.get("/_fake/lab/state")).json())

    def load_state(self, state: Mapping[str, Any]) -> None:
        self._renew(ok(self.graph_client.put("/_fake/lab/state", json=dict(state))).json())

    def _renew(self, info: Mapping[str, Any]) -> None:
        """Adopt the ready object of a new lab behind the same ports. Where this side reaches
        the servers (a container's mapped ports, a copy of its CA) stays as it was: the server
        answers with its own view."""
        here = {key: self.info[key] for key in ADDRESS_KEYS if key in self.info}
        self.info = {**info, **here}
        self.miro_client.headers["Authorization"] = f"Bearer {info['miro_token']}"
        self._sign_in(info)
        self._adopt(info)
