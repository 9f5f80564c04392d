"""State of the synchronization API: secrets per service principal and provisioning jobs.

Plain data behind one lock, no Flask (the moto anatomy). The lock guards the dictionaries and
the job fields the API reads and writes; a running cycle works on its job's runtime without it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from harness.clock import format_duration
from harness.engine import rules
from harness.engine.logs.entries import IdSource
from harness.engine.state import JobRuntime
from harness.engine.status import JobStatus

# A job that was never started shows .NET TimeSpan.MaxValue and state Disabled
# (https://learn.microsoft.com/en-us/graph/api/resources/synchronization-synchronizationschedule).
NEVER_INTERVAL = "P10675199DT2H48M5.4775807S"
RESET_SCOPES = (
    "None",
    "ConnectorDataStore",
    "Escrows",
    "Watermark",
    "QuarantineState",
    "Full",
    "ForceDeletes",
)
SECRET_KEYS = (
    "BaseAddress",
    "SecretToken",
    "SyncAll",
    "SkipOutOfScopeDeletions",
    "SyncNotificationSettings",
    "HardDeletesEnabled",
    "UpdateKeyOnSoftDelete",
    "NotificationEmail",
    "AuthenticationType",
    "ClientIdentifier",
    "ClientSecret",
    "Oauth2ClientId",
    "Oauth2ClientSecret",
    "Oauth2TokenExchangeUri",
    "Oauth2AuthorizationUri",
    "CompanyId",
    "Domain",
    "UserName",
    "Password",
    "Url",
    "InstanceName",
    "TestReferences",
    "ConnectionString",
    "Server",
    "AppKey",
    "Sandbox",
    "SandboxName",
    "EnforceDomain",
    "SyncNowNotificationSettings",
)
MASKED_SECRETS = frozenset(
    {"SecretToken", "Password", "ClientSecret", "Oauth2ClientSecret", "AppKey"}
)
DEFAULT_JOB_SETTINGS = [{"name": "QuarantineTooManyDeletesThreshold", "value": "500"}]


class JobStoreError(Exception):
    """A request the job store refuses. The engine speaks no HTTP: the Graph-facing layer
    (``harness.graph_api``) answers each kind with Graph's status, code and message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidJobRequest(JobStoreError):
    """The request is malformed or names something unknown; ``code`` is Graph's error code."""

    def __init__(self, message: str, code: str = "BadRequest") -> None:
        super().__init__(message)
        self.code = code


class JobNotFound(JobStoreError):
    """No job with this id belongs to the service principal."""

    def __init__(self, job_id: str) -> None:
        super().__init__(
            f"Synchronization job '{job_id}' does not exist for this service principal."
        )
        self.job_id = job_id


class JobBusy(JobStoreError):
    """The job is running a cycle and cannot change now."""


@dataclass
class Job:
    id: str
    service_principal_id: str
    template_id: str
    template_schema: dict[str, Any]
    schema_json: dict[str, Any]
    schema: rules.Schema  # parsed once per PUT
    settings: list[dict[str, str]] = field(
        default_factory=lambda: [dict(s) for s in DEFAULT_JOB_SETTINGS]
    )
    schedule_state: str = "Disabled"  # Active | Disabled | Paused
    interval: timedelta | None = None
    next_run: datetime | None = None
    status: JobStatus = field(default_factory=JobStatus)
    runtime: JobRuntime = field(default_factory=JobRuntime)
    running: bool = False

    def schedule_json(self) -> dict[str, Any]:
        return {
            "expiration": None,
            "interval": format_duration(self.interval) if self.interval else NEVER_INTERVAL,
            "state": self.schedule_state,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "templateId": self.template_id,
            "schedule": self.schedule_json(),
            "status": self.status.to_json(),
            "synchronizationJobSettings": [dict(s) for s in self.settings],
        }

    def setting(self, name: str) -> str | None:
        for item in self.settings:
            if item.get("name") == name:
                return item.get("value")
        return None


class SyncStore:
    def __init__(self, *, tenant_id: str, seed: int | str = 0) -> None:
        self.tenant_id = tenant_id
        self.lock = threading.RLock()
        self.ids = IdSource(f"jobs:{seed}")
        self.secrets: dict[str, dict[str, str]] = {}
        self.jobs: dict[str, Job] = {}
        self._templates: dict[str, dict[str, Any]] = {}
        self._parsed: dict[str, rules.Schema] = {}

    # -- templates ------------------------------------------------------------------------

    def add_template(self, template: dict[str, Any], schema: rules.Schema | None = None) -> None:
        """Register a ``synchronizationTemplate``; ``schema`` is its parsed schema if the caller
        has one (parsed schemas are read-only, so labs share one per process)."""
        parsed = schema if schema is not None else rules.load(template["schema"])
        with self.lock:
            self._templates[str(template["id"]).casefold()] = template
            self._parsed[str(template["id"]).casefold()] = parsed

    def templates(self, sp_id: str, app_id: str | None = None) -> list[dict[str, Any]]:
        with self.lock:
            out = []
            for template in self._templates.values():
                item = dict(template)
                item["applicationId"] = app_id or template.get("applicationId")
                out.append(item)
            return out

    def template(self, template_id: str) -> dict[str, Any] | None:
        with self.lock:
            return self._templates.get(str(template_id).casefold())

    # -- jobs -----------------------------------------------------------------------------

    def replace(self, jobs: list[Job], secrets: dict[str, dict[str, str]]) -> None:
        """Put loaded jobs and secrets in place of the current ones (an engine state load)."""
        with self.lock:
            self.jobs = {job.id: job for job in jobs}
            self.secrets = secrets

    def create_job(self, sp_id: str, template_id: str) -> Job:
        template = self.template(template_id)
        if template is None:
            with self.lock:
                known = ", ".join(t["id"] for t in self._templates.values())
            raise InvalidJobRequest(
                f"Template '{template_id}' does not exist for this service principal. "
                f"Available templates: {known}.",
                code="InvalidTemplateId",
            )
        schema_json = template["schema"]
        with self.lock:
            schema = self._parsed[str(template["id"]).casefold()]
            tenant = self.tenant_id.replace("-", "")
            job_id = f"{template['id']}.{tenant}.{self.ids.guid().replace('-', '')}"
            job = Job(job_id, sp_id, str(template["id"]), schema_json, schema_json, schema)
            self.jobs[job_id] = job
            return job

    def jobs_of(self, sp_id: str) -> list[Job]:
        with self.lock:
            return [j for j in self.jobs.values() if j.service_principal_id == sp_id]

    def job(self, sp_id: str, job_id: str) -> Job:
        with self.lock:
            job = self.jobs.get(job_id)
            if job is None or job.service_principal_id != sp_id:
                raise JobNotFound(job_id)
            return job

    def delete_job(self, sp_id: str, job_id: str) -> None:
        with self.lock:
            self.job(sp_id, job_id)
            del self.jobs[job_id]

    def start(self, sp_id: str, job_id: str, now: datetime, interval: timedelta) -> None:
        """Resumes a paused job, clears quarantine, runs at once
        (https://learn.microsoft.com/en-us/graph/api/synchronization-synchronizationjob-start)."""
        with self.lock:
            job = self.job(sp_id, job_id)
            job.schedule_state = "Active"
            job.interval = interval
            job.next_run = now
            job.status.quarantine = None
            if job.status.code in ("Paused", "Quarantine", "NotConfigured"):
                job.status.code = "Active" if job.runtime.cycles_run else "NotRun"

    def pause(self, sp_id: str, job_id: str) -> None:
        with self.lock:
            job = self.job(sp_id, job_id)
            job.schedule_state = "Paused"
            job.next_run = None
            job.status.code = "Paused"

    def restart(
        self, sp_id: str, job_id: str, scope: set[str], now: datetime, interval: timedelta
    ) -> None:
        """An empty scope is the portal's Restart
        (https://learn.microsoft.com/en-us/graph/api/resources/synchronization-synchronizationjobrestartcriteria)."""
        with self.lock:
            job = self.job(sp_id, job_id)
            if not scope:
                scope = {"QuarantineState", "Watermark", "Escrows"}
            scope = scope - {"None"}
            if "Full" in scope:
                scope = scope | {"QuarantineState", "Watermark", "Escrows", "ConnectorDataStore"}
            if job.running:
                raise JobBusy("The job is running a cycle; restart it when the cycle ends.")
            job.runtime.reset(scope)
            if "QuarantineState" in scope or "ForceDeletes" in scope:
                job.status.quarantine = None
            job.schedule_state = "Active"
            job.interval = interval
            job.next_run = now
            # A restart that keeps the quarantine (e.g. only Escrows) leaves the job quarantined.
            if job.status.quarantine is not None:
                job.status.code = "Quarantine"
            else:
                job.status.code = "Active" if job.runtime.cycles_run else "NotRun"

    def set_schema(self, sp_id: str, job_id: str, schema_json: dict[str, Any]) -> None:
        schema = rules.load(schema_json)  # raises SchemaError before anything changes
        rules.refuse_unoffered(schema)
        with self.lock:
            job = self.job(sp_id, job_id)
            job.schema_json = schema_json
            job.schema = schema
            # Saving mappings or scoping filters starts a new initial cycle
            # (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works).
            job.runtime.watermarks.clear()

    def reset_schema(self, sp_id: str, job_id: str) -> None:
        with self.lock:
            job = self.job(sp_id, job_id)
            job.schema_json = job.template_schema
            job.schema = self._parsed.get(job.template_id.casefold()) or rules.load(
                job.template_schema
            )
            job.runtime.watermarks.clear()

    def set_job_settings(self, sp_id: str, job_id: str, settings: list[dict[str, str]]) -> None:
        with self.lock:
            job = self.job(sp_id, job_id)
            merged = {s["name"]: s["value"] for s in job.settings}
            for item in settings:
                merged[item["name"]] = item["value"]
            job.settings = [{"name": k, "value": v} for k, v in merged.items()]

    # -- secrets --------------------------------------------------------------------------

    def put_secrets(self, sp_id: str, pairs: list[dict[str, str]]) -> None:
        """Replace the whole set, as Graph's ``PUT .../synchronization/secrets`` does: a key
        left out is gone (Microsoft's procedure for adding one key is GET, add, PUT all back:
        https://learn.microsoft.com/en-us/entra/identity/app-provisioning/skip-out-of-scope-deletions)."""
        with self.lock:
            self.secrets[sp_id] = {pair["key"]: pair["value"] for pair in pairs}

    def update_secrets(self, sp_id: str, pairs: list[dict[str, str]]) -> None:
        """Change only the given keys (an admin editing some credentials in the portal; the
        harness's own control plane and state files)."""
        with self.lock:
            current = self.secrets.setdefault(sp_id, {})
            for pair in pairs:
                current[pair["key"]] = pair["value"]

    def get_secrets(self, sp_id: str) -> dict[str, str]:
        with self.lock:
            return dict(self.secrets.get(sp_id, {}))

    # -- scheduling -----------------------------------------------------------------------

    def next_due(self, until: datetime) -> Job | None:
        """The active job whose next cycle is due soonest, if it is due by ``until``."""
        with self.lock:
            due = [
                j
                for j in self.jobs.values()
                if j.schedule_state == "Active" and j.next_run is not None and j.next_run <= until
            ]
            if not due:
                return None
            return min(due, key=lambda j: (j.next_run, j.id))


def parse_reset_scope(raw: Any) -> set[str]:
    if raw is None or raw == "":
        return set()
    if not isinstance(raw, str):
        raise InvalidJobRequest(
            "criteria.resetScope must be a string such as 'Watermark, Escrows'."
        )
    names = {part.strip() for part in raw.split(",") if part.strip()}
    folded = {n.casefold(): n for n in RESET_SCOPES}
    out: set[str] = set()
    for name in names:
        if name.casefold() not in folded:
            raise InvalidJobRequest(
                f"Unknown resetScope value '{name}'. Use one or more of: {', '.join(RESET_SCOPES)}."
            )
        out.add(folded[name.casefold()])
    return out
