"""Helpers the user and group checks share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.engine import rules
from harness.engine.errors import TargetError, scim_detail
from harness.validate import production
from harness.validate.exchanges import Exchange
from harness.validate.model import CheckFailed
from harness.validate.session import Session, TestObject

NOT_UPDATED = (
    "Entra logs the update as successful, yet the next cycle finds the same difference and "
    "sends the same PATCH again: the value never arrives in the app."
)


def last(s: Session) -> Exchange:
    return s.recorder.exchanges[-1]


def answered(exchange: Exchange) -> str:
    """``400 (detail)`` for an answer."""
    detail = scim_detail(exchange.response_body)
    return f"{exchange.status}" + (f" ({detail})" if detail else "")


def ops_text(body: dict[str, Any] | None) -> str:
    """The operations of a PATCH body, one short phrase each."""
    out = []
    for op in (body or {}).get("Operations", []):
        path = op.get("path")
        if path is None and isinstance(op.get("value"), dict):
            path = "{" + ", ".join(op["value"]) + "}"
        out.append(f"{op.get('op')} {path}")
    return "; ".join(out)


def failure_of(exc: TargetError, what: str) -> CheckFailed:
    """A failed request as a check failure, with what Entra does with it."""
    info = exc.info
    status = f" answered {info.status}" if info.status is not None else " failed"
    return CheckFailed(
        f"{exc.request_line or 'the request'}{status}: {info.reason}",
        production=production.for_error(info, what),
        info=info,
    )


def expect_status(
    s: Session, call: Callable[[], Any], wanted: int, what: str
) -> tuple[Exchange, TargetError | None]:
    """Run a request that should fail with ``wanted``; the exchange and the engine's error."""
    try:
        call()
    except TargetError as exc:
        exchange = last(s)
        if exc.info.status == wanted:
            return exchange, exc
        raise failure_of(exc, what) from None
    return last(s), None


def direct_source(s: Session, kind: str, target: str) -> str | None:
    """The source attribute a direct mapping (``[attr]``) to ``target`` reads."""
    attr = s.mapping(kind).by_target(target)
    if attr is None or not attr.is_mapped or not attr.expression.is_attribute:
        return None
    names = attr.expression.attributes
    return names[0] if len(names) == 1 else None


def matching_sources(s: Session, kind: str) -> set[str]:
    return {
        name
        for attr in s.mapping(kind).matching_mappings()
        if attr.is_mapped
        for name in attr.expression.attributes
    }


def plain_targets(s: Session, kind: str) -> list[tuple[str, str]]:
    """``(target, source)`` of directly mapped, single-valued, non-matching attributes that are
    neither the account state nor a reference nor externalId."""
    out = []
    for attr in s.mapping(kind).attribute_mappings:
        if not attr.is_mapped or attr.matching_priority > 0:
            continue
        path = rules.scim_payloads.parse_path(attr.target)
        if path.filtered or path.attr.casefold() in ("active", "manager", "members", "externalid"):
            continue
        source = direct_source(s, kind, attr.target)
        if source is not None and source.casefold() not in ("manager", "objectid"):
            out.append((attr.target, source))
    return out


def extra_user(s: Session, role: str) -> TestObject:
    """A second (or third) user with only its matching attributes, created the engine's way."""
    user = s.objects.get(role)
    if user is not None and user.target_id is not None:
        return user
    user = s.new_user(role, minimal=True)
    try:
        s.create(user)
    except TargetError as exc:
        failure = failure_of(exc, "user")
        raise CheckFailed(
            f"setup: creating another test user failed: {failure.actual}",
            production=failure.production,
            info=exc.info,
        ) from None
    return user


def members_of(s: Session, group: TestObject) -> set[str]:
    """The member ids a plain GET shows (no ``members`` attribute: none, RFC 7643 §2.5)."""
    response = s.send("GET", f"/Groups/{group.target_id}")
    if response.status_code != 200:
        raise CheckFailed(f"GET /Groups/{group.target_id} answered {answered(last(s))}")
    body = response.json()
    members = body.get("members") if isinstance(body, dict) else None
    return {str(m.get("value")) for m in members or [] if isinstance(m, dict)}


def case_variant(value: str) -> str:
    upper = value.upper()
    return upper if upper != value else value.lower()


def page_through(s: Session, resource: str) -> str:
    ids = []
    for start in (1, 2):
        response = s.send(
            "GET", f"/{resource}", params=[("startIndex", str(start)), ("count", "1")]
        )
        body = response.json() if response.status_code == 200 else None
        if not isinstance(body, dict) or not isinstance(body.get("Resources", []), list):
            raise CheckFailed(f"startIndex={start}&count=1 answered {answered(last(s))}")
        found = body.get("Resources") or []
        total = body.get("totalResults")
        problems = []
        if not isinstance(total, int) or total < 2:
            problems.append(f"totalResults {total!r} (at least 2 exist)")
        if len(found) != 1:
            problems.append(f"{len(found)} resources for count=1")
        if body.get("startIndex") != start:
            problems.append(f"startIndex {body.get('startIndex')!r}")
        if problems:
            raise CheckFailed(
                f"startIndex={start}&count=1 answered " + "; ".join(problems),
                production="Entra's engine does not page through the app, so provisioning is "
                "not affected; Microsoft's validator checks it.",
            )
        ids.append(str(found[0].get("id")))
    if ids[0] == ids[1]:
        raise CheckFailed(
            f"pages 1 and 2 answered the same resource {ids[0]}",
            production="Entra's engine does not page through the app; Microsoft's validator "
            "checks it.",
        )
    return f"pages 1 and 2 (count=1) answered {ids[0]} and {ids[1]}"


def gone(s: Session, obj: TestObject, status: int | None) -> str:
    what = obj.kind.lower()
    stays = f"Entra logs the delete as successful, but the {what} stays in the app."
    exchange, error = expect_status(s, lambda: s.read(obj), 404, what)
    if error is None:
        raise CheckFailed(
            f"DELETE answered {status}, but GET answered {exchange.status}: the {what} is "
            "still there",
            production=stays,
        )
    attribute, value = s.matching_pairs(obj)[0]
    found = s.target.query(obj.resource, attribute, value, exclude_members=obj.kind == "Group")
    if found:
        raise CheckFailed(
            f"DELETE answered {status} and GET 404, but {attribute} eq {value!r} still finds it",
            production=stays,
        )
    return f"DELETE answered {status}; GET answered 404 and the filter finds nothing"


def delete_again(s: Session, obj: TestObject) -> str:
    assert obj.target_id is not None
    exchange, error = expect_status(
        s, lambda: s.target.delete(obj.resource, str(obj.target_id)), 404, obj.kind.lower()
    )
    if error is None:
        raise CheckFailed(
            f"a second DELETE answered {exchange.status}, not 404",
            production="Harmless for Entra, which deletes an object once.",
        )
    return "404 Not Found"


def delete_unknown(s: Session, resource: str) -> str:
    ghost = s.values.guid()
    what = resource[:-1].lower()
    exchange, error = expect_status(s, lambda: s.target.delete(resource, ghost), 404, what)
    if error is None:
        raise CheckFailed(
            f"DELETE /{resource}/{ghost} answered {exchange.status}, not 404",
            production="Harmless for Entra, which deletes only objects it provisioned.",
        )
    return "404 Not Found"


def remove_twin(s: Session, resource: str, target_id: str) -> None:
    """Delete a duplicate the endpoint should have refused, at once, so later checks see one
    object (left to the clean-up if that fails)."""
    twin = TestObject(resource[:-1], "", {}, target_id=target_id)
    try:
        s.target.delete(resource, target_id)
    except TargetError:
        s.cleanup.append(twin)


def settle(
    s: Session, obj: TestObject, body: dict[str, Any] | None, *, manager_removed: bool = False
) -> str:
    """After Entra's PATCH: read the object back; fail if the next cycle would patch again."""
    status = last(s).status
    pending = s.settled(obj, manager_removed=manager_removed)
    if pending:
        raise CheckFailed(
            f"PATCH ({ops_text(body)}) answered {status}, but a GET shows "
            f"{', '.join(sorted(pending))} unchanged",
            production=NOT_UPDATED,
        )
    return f"PATCH ({ops_text(body)}) answered {status}; a GET shows the new values"
