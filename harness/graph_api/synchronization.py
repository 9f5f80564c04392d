"""The synchronization API
(https://learn.microsoft.com/en-us/graph/api/resources/synchronization-synchronizationjob), mounted
by the harness onto the Graph fake's app.

Route functions parse, call the store or the service, and serialise; every user mistake is a
Graph error envelope (the Graph app turns ``GraphError`` into one).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from flask import Blueprint, Response, current_app, request

from harness.engine import rules
from harness.engine.errors import TargetError
from harness.engine.jobs import (
    MASKED_SECRETS,
    JobStoreError,
    SyncStore,
    parse_reset_scope,
)
from harness.engine.logs.entries import IdSource
from harness.engine.on_demand import OnDemandError, parse_subject
from harness.engine.rules.expressions import parse_expression_result, supported_functions
from harness.engine.rules.scoping import OPERATORS
from harness.engine.service import AdvanceError, OnDemandThrottled, ProvisioningService
from harness.engine.target import ScimTarget
from harness.graph_api.exceptions import (
    GraphError,
    answer_job_store_error,
    bad_request,
    sp_not_found,
)
from harness.request_body import json_object

PREFIX = "/v1.0/servicePrincipals/<sp_id>/synchronization"


def _service() -> ProvisioningService:
    return current_app.extensions["harness_engine"]


def _store() -> SyncStore:
    return _service().store


def _check_sp(sp_id: str) -> dict[str, Any]:
    """The service principal must exist in the directory (looked up in the Graph fake)."""
    backend = current_app.extensions.get("mock_graph")
    if backend is None:
        return {"id": sp_id}
    sp = backend.get(sp_id, "servicePrincipal") if hasattr(backend, "get") else {"id": sp_id}
    if sp is None:
        raise sp_not_found(sp_id)
    return sp


def _json_body(required: bool = True) -> dict[str, Any]:
    return json_object(request.get_data(cache=True), bad_request, required=required)


def _no_content() -> Response:
    return Response(status=204)


def _pairs(raw: Any, what: str) -> list[dict[str, str]]:
    if not isinstance(raw, list):
        raise bad_request(f'\'{what}\' must be a list of {{"key": ..., "value": ...}} objects.')
    out = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("key"), str) or not item["key"]:
            raise bad_request(f"{what}[{i}] must be an object with a string 'key'.")
        value = item.get("value")
        if value is None:
            value = ""
        if isinstance(value, bool):
            value = "True" if value else "False"
        if not isinstance(value, str | int | float):
            raise bad_request(f"{what}[{i}].value must be a string.")
        out.append({"key": item["key"], "value": str(value)})
    return out


def create_blueprint() -> Blueprint:
    bp = Blueprint("harness_synchronization", __name__)
    # The job store raises the engine's own errors; they are answered as Graph errors.
    bp.register_error_handler(JobStoreError, answer_job_store_error)

    # -- the synchronization resource, templates --------------------------------------------

    @bp.get(PREFIX)
    def get_synchronization(sp_id: str) -> Any:
        _check_sp(sp_id)
        store = _store()
        return {
            "id": sp_id,
            "jobs": [j.to_json() for j in store.jobs_of(sp_id)],
            "secrets": _masked(store.get_secrets(sp_id)),
        }

    @bp.get(PREFIX + "/templates")
    def list_templates(sp_id: str) -> Any:
        sp = _check_sp(sp_id)
        return {"value": _store().templates(sp_id, sp.get("appId"))}

    @bp.get(PREFIX + "/templates/<template_id>")
    def get_template(sp_id: str, template_id: str) -> Any:
        sp = _check_sp(sp_id)
        for template in _store().templates(sp_id, sp.get("appId")):
            if str(template["id"]).casefold() == template_id.casefold():
                return template
        raise GraphError(404, "ResourceNotFound", f"Template '{template_id}' does not exist.")

    @bp.get(PREFIX + "/templates/<template_id>/schema")
    def get_template_schema(sp_id: str, template_id: str) -> Any:
        _check_sp(sp_id)
        template = _store().template(template_id)
        if template is None:
            raise GraphError(404, "ResourceNotFound", f"Template '{template_id}' does not exist.")
        return template["schema"]

    # -- jobs --------------------------------------------------------------------------------

    @bp.get(PREFIX + "/jobs")
    def list_jobs(sp_id: str) -> Any:
        _check_sp(sp_id)
        return {"value": [j.to_json() for j in _store().jobs_of(sp_id)]}

    @bp.post(PREFIX + "/jobs")
    def create_job(sp_id: str) -> Any:
        _check_sp(sp_id)
        body = _json_body()
        template_id = body.get("templateId")
        if not isinstance(template_id, str) or not template_id:
            raise bad_request(
                'The property \'templateId\' is required (e.g. {"templateId": "miro"}).'
            )
        job = _store().create_job(sp_id, template_id)
        return job.to_json(), 201

    @bp.get(PREFIX + "/jobs/<job_id>")
    def get_job(sp_id: str, job_id: str) -> Any:
        _check_sp(sp_id)
        return _store().job(sp_id, job_id).to_json()

    @bp.delete(PREFIX + "/jobs/<job_id>")
    def delete_job(sp_id: str, job_id: str) -> Any:
        _check_sp(sp_id)
        _store().delete_job(sp_id, job_id)
        return _no_content()

    @bp.patch(PREFIX + "/jobs/<job_id>")
    def update_job(sp_id: str, job_id: str) -> Any:
        _check_sp(sp_id)
        store = _store()
        store.job(sp_id, job_id)
        body = _json_body()
        unknown = sorted(set(body) - {"synchronizationJobSettings"})
        if unknown:
            raise bad_request(
                f"Property '{unknown[0]}' cannot be updated on a synchronization job; only "
                "synchronizationJobSettings can."
            )
        settings = body.get("synchronizationJobSettings")
        if not isinstance(settings, list):
            raise bad_request("'synchronizationJobSettings' must be a list of {name, value} pairs.")
        cleaned = []
        for i, item in enumerate(settings):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise bad_request(f"synchronizationJobSettings[{i}] must have a string 'name'.")
            value = item.get("value")
            if item["name"] == "QuarantineTooManyDeletesThreshold" and not (
                isinstance(value, str | int) and str(value).strip().isdigit()
            ):
                raise bad_request(
                    'QuarantineTooManyDeletesThreshold must be a whole number, e.g. "500".'
                )
            cleaned.append({"name": item["name"], "value": "" if value is None else str(value)})
        store.set_job_settings(sp_id, job_id, cleaned)
        return _no_content()

    @bp.post(PREFIX + "/jobs/<job_id>/start")
    def start_job(sp_id: str, job_id: str) -> Any:
        sp = _check_sp(sp_id)
        service = _service()
        service.store.start(sp_id, job_id, service.now(), service.interval)
        service.audit("Enable/start provisioning configuration", sp, job_id)
        return _no_content()

    @bp.post(PREFIX + "/jobs/<job_id>/pause")
    def pause_job(sp_id: str, job_id: str) -> Any:
        sp = _check_sp(sp_id)
        _store().pause(sp_id, job_id)
        _service().audit("Disable/pause provisioning configuration", sp, job_id)
        return _no_content()

    @bp.post(PREFIX + "/jobs/<job_id>/restart")
    def restart_job(sp_id: str, job_id: str) -> Any:
        sp = _check_sp(sp_id)
        service = _service()
        service.store.job(sp_id, job_id)
        body = _json_body(required=False)
        criteria = body.get("criteria", {})
        if criteria is None:
            criteria = {}
        if not isinstance(criteria, dict):
            raise bad_request('\'criteria\' must be an object such as {"resetScope": "Full"}.')
        scope = parse_reset_scope(criteria.get("resetScope"))
        service.store.restart(sp_id, job_id, scope, service.now(), service.interval)
        service.audit(
            "Enable/restart provisioning configuration",
            sp,
            job_id,
            modified=[
                {
                    "displayName": "resetScope",
                    "oldValue": None,
                    "newValue": ", ".join(sorted(scope)) or None,
                }
            ],
        )
        return _no_content()

    @bp.post(PREFIX + "/jobs/<job_id>/validateCredentials")
    def validate_credentials(sp_id: str, job_id: str) -> Any:
        _check_sp(sp_id)
        service = _service()
        job = service.store.job(sp_id, job_id)
        body = _json_body(required=False)
        use_saved = body.get("useSavedCredentials", False)
        if not isinstance(use_saved, bool):
            raise bad_request("'useSavedCredentials' must be true or false.")
        given = {p["key"]: p["value"] for p in _pairs(body.get("credentials", []), "credentials")}
        saved = service.store.get_secrets(sp_id)
        creds = {**saved, **given} if use_saved else given
        base = creds.get("BaseAddress")
        if not base:
            raise bad_request(
                "No BaseAddress was given: pass it in 'credentials' or set useSavedCredentials.",
                code="CredentialValidationUnavailable",
            )
        try:
            target = ScimTarget(
                service.transport,
                base,
                creds.get("SecretToken"),
                service.settings.target_display_name or "the application",
                timeout=service.settings.target_timeout_seconds,
            )
        except ValueError as exc:
            raise bad_request(str(exc), code="CredentialValidationUnavailable") from exc
        # Test Connection fetches a random user and, where groups are provisioned, a random
        # group (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups).
        ids = IdSource(f"validate:{job_id}")
        group_mapping = rules.group_mapping(job.schema)
        try:
            target.query("Users", rules.probe_attribute(rules.user_mapping(job.schema)), ids.guid())
            if group_mapping is not None and rules.enabled(group_mapping):
                target.query(
                    "Groups",
                    rules.probe_attribute(group_mapping, "displayName"),
                    ids.guid(),
                    exclude_members=True,
                )
        except TargetError as exc:
            raise bad_request(
                f"Test connection failed: {exc.info.reason}",
                code="CredentialValidationUnavailable",
            ) from exc
        finally:
            target.close()
        return _no_content()

    @bp.post(PREFIX + "/jobs/<job_id>/provisionOnDemand")
    def provision_on_demand(sp_id: str, job_id: str) -> Any:
        _check_sp(sp_id)
        service = _service()
        job = service.store.job(sp_id, job_id)
        try:
            subject = parse_subject(_json_body())
        except OnDemandError as exc:
            raise bad_request(str(exc)) from exc
        try:
            pair = service.provision_on_demand(job, subject)
        except OnDemandThrottled as exc:
            raise GraphError(
                429,
                "TooManyRequests",
                "Provision on demand is limited to 5 requests per 10 seconds.",
                headers={"Retry-After": str(exc.retry_after)},
            ) from exc
        except OnDemandError as exc:
            raise GraphError(404, "ResourceNotFound", str(exc)) from exc
        except AdvanceError as exc:
            raise GraphError(409, "Conflict", str(exc)) from exc
        return {
            "@odata.context": request.host_url.rstrip("/")
            + "/v1.0/$metadata#microsoft.graph.stringKeyStringValuePair",
            **pair,
        }

    # -- object connections (beta) -----------------------------------------------------------

    beta = PREFIX.replace("/v1.0/", "/beta/") + "/jobs/<job_id>/objectConnections('<object_id>')"

    @bp.get(beta)
    def get_object_connection(sp_id: str, job_id: str, object_id: str) -> Any:
        _check_sp(sp_id)
        job = _store().job(sp_id, job_id)
        with _store().lock:
            link = job.runtime.links.get(object_id)
            if link is None or link.deleted:
                raise GraphError(
                    404,
                    "ResourceNotFound",
                    f"No object connection for source object '{object_id}'.",
                )
            return {
                "sourceAnchor": link.source_id,
                "targetAnchor": link.target_id,
                "objectTypeName": link.object_type,
            }

    @bp.delete(beta)
    def delete_object_connection(sp_id: str, job_id: str, object_id: str) -> Any:
        """Breaks one link; the job must be paused (409 otherwise;
        https://learn.microsoft.com/en-us/entra/identity/app-provisioning/manage-object-connections)."""
        _check_sp(sp_id)
        store = _store()
        job = store.job(sp_id, job_id)
        with store.lock:
            if job.schedule_state == "Active" or job.running:
                raise GraphError(
                    409,
                    "Conflict",
                    "The job must be paused before an object connection is deleted.",
                )
            link = job.runtime.links.get(object_id)
            if link is None or link.deleted:
                raise GraphError(
                    404,
                    "ResourceNotFound",
                    f"No object connection for source object '{object_id}'.",
                )
            job.runtime.remove_link(object_id)
        return _no_content()

    # -- schema ------------------------------------------------------------------------------

    @bp.get(PREFIX + "/jobs/<job_id>/schema")
    def get_schema(sp_id: str, job_id: str) -> Any:
        _check_sp(sp_id)
        return _store().job(sp_id, job_id).schema_json

    @bp.put(PREFIX + "/jobs/<job_id>/schema")
    def put_schema(sp_id: str, job_id: str) -> Any:
        sp = _check_sp(sp_id)
        store = _store()
        store.job(sp_id, job_id)
        body = _json_body()
        try:
            store.set_schema(sp_id, job_id, body)
        except rules.SchemaError as exc:
            raise bad_request(
                f"The synchronization schema is not valid: {exc}", code="InvalidSchema"
            ) from exc
        _service().audit("Update attribute mappings or scope", sp, job_id)
        return _no_content()

    @bp.delete(PREFIX + "/jobs/<job_id>/schema")
    def reset_schema(sp_id: str, job_id: str) -> Any:
        sp = _check_sp(sp_id)
        _store().reset_schema(sp_id, job_id)
        _service().audit("Update attribute mappings or scope", sp, job_id)
        return _no_content()

    @bp.get(PREFIX + "/jobs/<job_id>/schema/filterOperators")
    def filter_operators(sp_id: str, job_id: str) -> Any:
        _check_sp(sp_id)
        _store().job(sp_id, job_id)
        return _filter_operators()

    @bp.get(PREFIX + "/jobs/<job_id>/schema/functions")
    def functions(sp_id: str, job_id: str) -> Any:
        _check_sp(sp_id)
        _store().job(sp_id, job_id)
        return _functions()

    @bp.post(PREFIX + "/jobs/<job_id>/schema/parseExpression")
    def parse_job_expression(sp_id: str, job_id: str) -> Any:
        _check_sp(sp_id)
        _store().job(sp_id, job_id)
        return _parse_expression(_json_body())

    @bp.post(PREFIX + "/templates/<template_id>/schema/parseExpression")
    def parse_template_expression(sp_id: str, template_id: str) -> Any:
        _check_sp(sp_id)
        if _store().template(template_id) is None:
            raise GraphError(404, "ResourceNotFound", f"Template '{template_id}' does not exist.")
        return _parse_expression(_json_body())

    # -- secrets -----------------------------------------------------------------------------

    @bp.get(PREFIX + "/secrets")
    def get_secrets(sp_id: str) -> Any:
        _check_sp(sp_id)
        return {"value": _masked(_store().get_secrets(sp_id))}

    @bp.put(PREFIX + "/secrets")
    def put_secrets(sp_id: str) -> Any:
        sp = _check_sp(sp_id)
        body = _json_body()
        pairs = _pairs(body.get("value"), "value")
        for pair in pairs:
            if pair["key"] == "BaseAddress" and pair["value"]:
                try:
                    ScimTarget(_service().transport, pair["value"], None, "target").close()
                except ValueError as exc:
                    raise bad_request(str(exc)) from exc
            if pair["key"] in ("SyncAll", "SkipOutOfScopeDeletions") and pair[
                "value"
            ].lower() not in ("true", "false", ""):
                raise bad_request(
                    f"{pair['key']} must be 'True' or 'False', not {pair['value']!r}."
                )
            if pair["key"] == "SyncNotificationSettings" and pair["value"]:
                try:
                    parsed = json.loads(pair["value"])
                except ValueError as exc:
                    raise bad_request(
                        "SyncNotificationSettings must be a JSON string such as "
                        '\'{"Enabled":false,"DeleteThresholdEnabled":false}\'.'
                    ) from exc
                if not isinstance(parsed, dict):
                    raise bad_request("SyncNotificationSettings must be a JSON object string.")
        _store().put_secrets(sp_id, pairs)
        _service().audit(
            "Update provisioning setting or credentials",
            sp,
            modified=[
                {
                    "displayName": p["key"],
                    "oldValue": None,
                    "newValue": "********" if p["key"] in MASKED_SECRETS else p["value"],
                }
                for p in pairs
            ],
        )
        return _no_content()

    return bp


def _parse_expression(body: dict[str, Any]) -> dict[str, Any]:
    """``parseExpression``
    (https://learn.microsoft.com/en-us/graph/api/synchronization-synchronizationschema-parseexpression):
    the engine's own parser and evaluator. A malformed request is a 400; an expression that does
    not parse or evaluate is a 200 whose ``error`` says why, as Graph answers."""
    expression = body.get("expression")
    if not isinstance(expression, str):
        raise bad_request("'expression' is required and must be a string.")
    test_input = body.get("testInputObject")
    if test_input is not None and not isinstance(test_input, dict):
        raise bad_request("'testInputObject' must be an expressionInputObject ({properties}).")
    definition = body.get("targetAttributeDefinition")
    if definition is not None and not isinstance(definition, dict):
        raise bad_request("'targetAttributeDefinition' must be an attributeDefinition object.")
    return {
        "@odata.context": request.host_url.rstrip("/")
        + "/v1.0/$metadata#microsoft.graph.parseExpressionResponse",
        **parse_expression_result(expression, test_input),
    }


def _masked(secrets: dict[str, str]) -> list[dict[str, str]]:
    return [
        {"key": k, "value": ("*" * 8 if k in MASKED_SECRETS and v else v)}
        for k, v in secrets.items()
    ]


@cache
def _filter_operators() -> dict[str, Any]:
    """The static filterOperators document, built once."""
    return {"value": [_operator_json(name) for name in sorted(OPERATORS)]}


@cache
def _functions() -> dict[str, Any]:
    """The static functions document, built once."""
    return {"value": [{"type": name, "parameters": []} for name in supported_functions()]}


def _operator_json(name: str) -> dict[str, Any]:
    unary = name.upper().startswith("IS")
    return {
        "name": name,
        "arity": "Unary" if unary else "Binary",
        "multivaluedComparisonType": "All",
        "supportedAttributeTypes": ["String", "Integer", "Boolean"]
        if unary
        else ["String", "Integer"],
    }
