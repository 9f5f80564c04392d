"""The provisioning service: runs each job's cycles when they fall due on the lab's clock.

Nothing runs on its own. ``advance(duration)`` moves the virtual clock forward and runs, in
order, every cycle due by the new time; ``start`` makes a job due now, so advancing by zero
runs it. No store lock is held while a cycle runs: in-process the cycle calls back into the
Graph app (which may be the very app serving the ``/_fake/clock`` request).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx

from harness.clock import parse_duration
from harness.engine.context import CycleInputs
from harness.engine.cycle import Cycle
from harness.engine.jobs import Job, SyncStore
from harness.engine.logs.entries import IdSource
from harness.engine.logs.store import LogStore
from harness.engine.on_demand import OnDemand, OnDemandError, Subject
from harness.engine.persist import EngineState
from harness.engine.persist import dump as dump_state
from harness.engine.persist import parse as parse_state
from harness.engine.settings import EngineSettings
from harness.engine.status import iso

# The Microsoft Entra provisioning service's application id: the audience Entra's own tokens
# name for custom SCIM apps
# (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups),
# used here as the engine's client id.
PROVISIONING_APP_ID = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
# 5 requests per 10 seconds
# (https://learn.microsoft.com/en-us/graph/api/synchronization-synchronizationjob-provisionondemand)
ON_DEMAND_LIMIT = 5
ON_DEMAND_WINDOW = timedelta(seconds=10)


class OnDemandThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


class AdvanceError(ValueError):
    """The clock cannot be advanced as asked (negative, or not a virtual clock)."""


class ProvisioningService:
    def __init__(
        self,
        *,
        store: SyncStore,
        logs: LogStore,
        now: Callable[[], datetime],
        set_clock: Callable[[datetime], None] | None,
        transport: httpx.BaseTransport,
        graph_base_url: str,
        settings: EngineSettings | None = None,
        seed: int | str = 0,
    ) -> None:
        self.store = store
        self.logs = logs
        self.now = now
        self._set_clock = set_clock
        self.transport = transport
        self.graph_base_url = graph_base_url
        self.settings = settings or EngineSettings()
        self.ids = IdSource(f"engine:{seed}")
        self._advance_lock = threading.Lock()
        self._on_demand_calls: dict[str, deque[datetime]] = {}
        # Notification e-mails the admin would get; nothing is sent anywhere.
        self._outbox: list[dict[str, Any]] = []
        self._outbox_lock = threading.Lock()
        # Provisioning configuration activities (``auditLogs/directoryAudits``).
        self.audits = LogStore()
        self._token = "harness-provisioning-engine"
        # The client id and secret the engine signs in to Graph with after a 401: its own by
        # default; a lab whose Graph fake checks secrets gives it a registered application's.
        self.graph_credentials: tuple[str, str] = (
            PROVISIONING_APP_ID,
            "harness-provisioning-engine",
        )

    # -- settings -------------------------------------------------------------------------

    def update_settings(self, changes: dict[str, Any]) -> EngineSettings:
        self.settings = self.settings.updated(changes)
        return self.settings

    @property
    def interval(self) -> timedelta:
        return self.settings.interval

    # -- state ----------------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        return dump_state(
            store=self.store,
            settings=self.settings,
            logs=self.logs,
            audits=self.audits,
            outbox=self.outbox(),
            ids=self.ids,
        )

    def load(self, data: dict[str, Any]) -> None:
        """Replace the engine's state with a dump; ValueError (nothing changed) if it is not one."""
        if not self._advance_lock.acquire(blocking=False):
            raise AdvanceError("a cycle is running; load the state when it ends")
        try:
            self._put_in_place(
                parse_state(data, settings=self.settings, template=self.store.template)
            )
        finally:
            self._advance_lock.release()

    def _put_in_place(self, state: EngineState) -> None:
        self.store.replace(state.jobs, state.secrets)
        self.settings = state.settings
        self.logs.clear()
        self.logs.extend(state.logs)
        self.audits.clear()
        self.audits.extend(state.audits)
        with self._outbox_lock:
            self._outbox[:] = state.outbox
        if state.ids:
            self.ids.set_state(state.ids)
        if state.job_ids:
            self.store.ids.set_state(state.job_ids)

    # -- running cycles -------------------------------------------------------------------

    def advance(self, by: timedelta) -> list[dict[str, Any]]:
        if by < timedelta(0):
            raise AdvanceError("the clock does not go backwards")
        if self._set_clock is None:
            raise AdvanceError("this lab runs on a real-time clock; it cannot be advanced")
        if not self._advance_lock.acquire(blocking=False):
            raise AdvanceError("the clock is already being advanced (a cycle is running)")
        try:
            until = self.now() + by
            summaries: list[dict[str, Any]] = []
            while True:
                job = self.store.next_due(until)
                if job is None:
                    break
                assert job.next_run is not None
                if job.next_run > self.now():
                    self._set_clock(job.next_run)
                summaries.append(self.run_cycle(job))
            if until > self.now():
                self._set_clock(until)
            return summaries
        finally:
            self._advance_lock.release()

    def provision_on_demand(self, job: Job, subject: Subject) -> dict[str, Any]:
        """Run one subject through the pipeline now; 5 requests per 10 s per job."""
        now = self.now()
        window = self._on_demand_calls.setdefault(job.id, deque())
        while window and now - window[0] >= ON_DEMAND_WINDOW:
            window.popleft()
        if len(window) >= ON_DEMAND_LIMIT:
            retry = ON_DEMAND_WINDOW - (now - window[0])
            raise OnDemandThrottled(max(1, int(retry.total_seconds())))
        window.append(now)
        if not self._advance_lock.acquire(blocking=False):
            raise AdvanceError("a cycle is running; try again when it ends")
        try:
            ids_before = self.ids.state()
            run = OnDemand(self._inputs(job), subject)
            run.run()
            if run.not_found is not None:
                # A refused request leaves no trace: later ids are those of a run without it.
                self.ids.set_state(ids_before)
                raise OnDemandError(run.not_found)
            return run.result()
        finally:
            self._advance_lock.release()

    def _graph_token(self, client: httpx.Client | None) -> str | None:
        """The engine's Graph token. Any token passes a lenient Graph fake; after a 401 (a fake
        in strict mode) one is fetched from the tenant's client-credentials endpoint."""
        if client is None:
            return self._token
        try:
            response = client.post(
                f"{self.graph_base_url.rstrip('/')}/{self.store.tenant_id}/oauth2/v2.0/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.graph_credentials[0],
                    "client_secret": self.graph_credentials[1],
                    "scope": "https://graph.microsoft.com/.default",
                },
                headers={"Authorization": ""},
            )
            token = response.json().get("access_token") if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            token = None
        if token:
            self._token = str(token)
        return token if token else None

    def audit(
        self,
        activity: str,
        service_principal: dict[str, Any],
        job_id: str | None = None,
        *,
        initiator: str = "Microsoft Graph",
        modified: list[dict[str, Any]] | None = None,
    ) -> None:
        """A provisioning configuration activity in ``auditLogs/directoryAudits``, as Microsoft
        lists them in https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-when-will-provisioning-finish-specific-user."""
        details = [{"key": "JobId", "value": job_id}] if job_id else []
        self.audits.append(
            {
                "id": self.ids.guid(),
                "category": "ProvisioningManagement",
                "correlationId": self.ids.guid(),
                "result": "success",
                "resultReason": "",
                "activityDisplayName": activity,
                "activityDateTime": iso(self.now()),
                "loggedByService": "Account Provisioning",
                "operationType": "Update",
                "initiatedBy": {
                    "user": None,
                    "app": {
                        "appId": None,
                        "displayName": initiator,
                        "servicePrincipalId": None,
                        "servicePrincipalName": None,
                    },
                },
                "targetResources": [
                    {
                        "id": str(service_principal.get("id", "")),
                        "displayName": service_principal.get("displayName"),
                        "type": "ServicePrincipal",
                        "userPrincipalName": None,
                        "groupType": None,
                        "modifiedProperties": list(modified or []),
                    }
                ],
                "additionalDetails": details,
            }
        )

    def _send(self, message: dict[str, Any]) -> None:
        with self._outbox_lock:
            self._outbox.append(message)

    def outbox(self) -> list[dict[str, Any]]:
        with self._outbox_lock:
            return list(self._outbox)

    def clear_outbox(self) -> None:
        with self._outbox_lock:
            self._outbox.clear()

    def _sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self._set_clock is not None:
            self._set_clock(self.now() + timedelta(seconds=seconds))
        else:
            time.sleep(seconds)

    def _next_run(self, job: Job, began: datetime) -> datetime | None:
        quarantine = job.status.quarantine
        if quarantine is None:
            return job.status.next_cycle(began, self.interval)
        # Still in quarantine after four weeks, the job is disabled
        # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-quarantine-status).
        if self.now() - quarantine.series_began >= parse_duration(
            self.settings.quarantine_disable_after
        ):
            # "... after which the escrow entry is removed and the job disabled" (same page).
            job.schedule_state = "Disabled"
            job.runtime.escrows.clear()
            return None
        return job.status.next_cycle(began, self.interval)

    def _inputs(self, job: Job) -> CycleInputs:
        with self.store.lock:
            return CycleInputs(
                job_id=job.id,
                service_principal_id=job.service_principal_id,
                tenant_id=self.store.tenant_id,
                schema=job.schema,
                secrets=self.store.get_secrets(job.service_principal_id),
                settings=self.settings,
                runtime=job.runtime,
                status=job.status,
                transport=self.transport,
                graph_base_url=self.graph_base_url,
                ids=self.ids,
                now=self.now,
                emit=self.logs.append,
                job_settings={item["name"]: item["value"] for item in job.settings},
                sleep=self._sleep,
                notify=self._send,
                audit=lambda activity, sp, job_id: self.audit(
                    activity, sp, job_id, initiator="Azure AD Provisioning Service"
                ),
                graph_token=self._graph_token,
            )

    def run_cycle(self, job: Job) -> dict[str, Any]:
        inputs = self._inputs(job)
        mailed = len(self.outbox())
        with self.store.lock:
            job.running = True
            began = self.now()
        try:
            summary = Cycle(inputs).run()
        finally:
            with self.store.lock:
                job.running = False
                if job.schedule_state == "Active" and job.next_run is not None:
                    job.next_run = self._next_run(job, began)
        if summary.pause:
            with self.store.lock:
                job.schedule_state = "Paused"
                job.next_run = None
                job.status.code = "Paused"
        out = summary.to_json()
        out["nextRun"] = iso(job.next_run)
        # How the job stands after the cycle (a report's timeline draws it).
        out["escrowed"] = len(job.runtime.escrows)
        quarantine = job.status.quarantine
        out["jobStatus"] = {
            "code": job.status.code,
            "quarantine": quarantine.to_json() if quarantine else None,
        }
        out["notifications"] = [
            {"sentDateTime": m.get("sentDateTime"), "subject": m.get("subject")}
            for m in self.outbox()[mailed:]
        ]
        out["servicePrincipalId"] = job.service_principal_id
        return out
