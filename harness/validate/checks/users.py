"""The user checks, in the order they run: each sends what Entra's engine sends for a user
(Microsoft's SCIM guide:
https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups;
the PATCH dialects:
https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from harness.engine import rules, scim_requests
from harness.engine.errors import TargetError
from harness.validate import production
from harness.validate.checks.common import (
    answered,
    case_variant,
    delete_again,
    delete_unknown,
    extra_user,
    failure_of,
    gone,
    last,
    matching_sources,
    ops_text,
    page_through,
    plain_targets,
    remove_twin,
    settle,
)
from harness.validate.model import Check, CheckFailed, CheckSkipped
from harness.validate.session import Session, TestObject

GUIDE = "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups"
COMPAT = "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility"


def _main(s: Session) -> TestObject:
    s.require("users.create")
    return s.objects["main"]


def filter_non_existing(s: Session) -> str:
    attribute = rules.probe_attribute(s.user_mapping)
    value = s.values.guid()
    try:
        found = s.target.query("Users", attribute, value)
    except TargetError as exc:
        # Test connection and every cycle start with this query; its failure quarantines.
        probe = TargetError(replace(exc.info, quarantine=True), exc.request_line)
        raise failure_of(probe, "job") from None
    if found:
        raise CheckFailed(
            f"{len(found)} user(s) answered {attribute} eq {value!r} (is the filter ignored?)",
            production="Entra links new users to whatever the filter answers instead of "
            "creating them; several answers fail them with DuplicateTargetEntries.",
        )
    return f"200 and an empty ListResponse for {attribute} eq {value!r}"


def create(s: Session) -> str:
    if "Add" not in rules.flow_types(s.user_mapping):
        raise CheckSkipped("Create is not enabled for users in the schema's Target Object Actions")
    user = s.new_user("main")
    try:
        created = s.create(user)
    except TargetError as exc:
        raise failure_of(exc, "user") from None
    status = next(e.status for e in reversed(s.recorder.exchanges) if e.method == "POST")
    pending = s.settled(user)
    if pending:
        raise CheckFailed(
            f"POST answered {status} with id {created['id']}, but a GET shows "
            f"{', '.join(sorted(pending))} different from what was sent",
            production="Entra sends a PATCH for these attributes on every cycle: the user never "
            "settles.",
        )
    return f"POST answered {status} with id {created['id']}; a GET shows every value sent"


def create_duplicate(s: Session) -> str:
    user = _main(s)
    _, body = scim_requests.user_create(s.user_mapping, s.source(user))
    try:
        created = s.target.create("Users", body)
    except TargetError as exc:
        if exc.info.status == 409:
            scim_type = (last(s).response_body or {}).get("scimType")
            return f"409 Conflict (scimType {scim_type!r})"
        raise CheckFailed(
            f"POST of an existing userName answered {answered(last(s))}, not 409",
            production=production.for_error(exc.info, "user")
            + " The log shows this code instead of the <App>EntryConflict a 409 gives, which "
            "tells the admin the account already exists.",
            info=exc.info,
        ) from None
    remove_twin(s, "Users", str(created["id"]))
    raise CheckFailed(
        f"POST of an existing userName created a second user ({created['id']})",
        production="Entra's next matching query finds two users and fails the user with "
        "DuplicateTargetEntries: it is no longer provisioned.",
    )


def filter_existing(s: Session) -> str:
    user = _main(s)
    seen = []
    for attribute, value in s.matching_pairs(user):
        found = s.target.query("Users", attribute, value)
        ids = [str(r.get("id")) for r in found]
        if ids != [user.target_id]:
            raise CheckFailed(
                f"{attribute} eq {value!r} answered {ids or 'no user'}, not [{user.target_id}]",
                production="Entra does not find the user it should match: it tries to create it "
                "again and fails with a conflict on every cycle."
                if not ids
                else "Entra fails the user with DuplicateTargetEntries (several matches).",
            )
        seen.append(f"{attribute} eq {value!r}")
    return f"exactly the user for {', '.join(seen)}"


def filter_different_case(s: Session) -> str:
    user = _main(s)
    exact = s.exact("User") or set()
    pairs = [(a, v) for a, v in s.matching_pairs(user) if isinstance(v, str) and a not in exact]
    if not pairs:
        raise CheckSkipped("no matching attribute is a string compared without case")
    attribute, value = pairs[0]
    variant = case_variant(value)
    found = s.target.query("Users", attribute, variant)
    ids = [str(r.get("id")) for r in found]
    if ids != [user.target_id]:
        raise CheckFailed(
            f"{attribute} eq {variant!r} answered {ids or 'no user'}; {attribute} is not "
            "case-exact, so it should find the user",
            production="When a source value differs from the app's only in case, Entra finds "
            "no match, tries to create the user and fails with a conflict on every cycle.",
        )
    return f"{attribute} eq {variant!r} found the user"


def get_by_id(s: Session) -> str:
    user = _main(s)
    try:
        current = s.read(user)
    except TargetError as exc:
        raise failure_of(exc, "user") from None
    if str(current.get("id")) != user.target_id:
        raise CheckFailed(
            f"GET /Users/{user.target_id} answered the resource {current.get('id')!r}",
            production="Entra compares the wrong object and updates it.",
        )
    return f"200 with the user {user.target_id}"


def patch_replace(s: Session) -> str:
    user = _main(s)
    user.attrs = s.values.changed("User", user.attrs, keep=matching_sources(s, "User"))
    update, _ = s.update(user)
    if update.body is None:
        raise CheckSkipped("the mapping has no attribute to replace besides the matching ones")
    return settle(s, user, update.body)


def patch_multiple(s: Session) -> str:
    user = _main(s)
    plain = plain_targets(s, "User")
    if len(plain) < 2:
        raise CheckSkipped("the mapping has fewer than two plain attributes to change together")
    fresh = s.values.user()
    for _, source in plain[:2]:
        user.attrs[source] = fresh.get(source) or s.values.word()
    update, _ = s.update(user)
    return settle(s, user, update.body)


def update_username(s: Session) -> str:
    user = _main(s)
    source = next(iter(_sources_of(s, "userName")), None)
    if source is None:
        raise CheckSkipped("the schema does not map userName from a source attribute")
    user.attrs[source] = s.values.user().get(source) or s.values.word()
    update, _ = s.update(user)
    if update.body is None or "userName" not in update.changes:
        raise CheckSkipped("userName is not mapped directly")
    done = settle(s, user, update.body)
    found = s.target.query("Users", "userName", update.changes["userName"])
    if [str(r.get("id")) for r in found] != [user.target_id]:
        raise CheckFailed(
            f"{done}, but userName eq the new value does not find it",
            production="Entra's matching by the new userName misses the user.",
        )
    return done


def _sources_of(s: Session, target: str) -> list[str]:
    attr = s.user_mapping.by_target(target)
    return list(attr.expression.attributes) if attr is not None and attr.is_mapped else []


def add_attributes(s: Session) -> str:
    s.require("users.create")
    user = extra_user(s, "second")
    keep = matching_sources(s, "User")
    user.attrs = s.values.changed("User", user.attrs, keep=keep)
    update, _ = s.update(user)
    if update.body is None:
        raise CheckSkipped("the mapping has no attribute besides the matching ones")
    ops = [op.get("op", "") for op in update.body["Operations"]]
    if not any(op.casefold() == "add" for op in ops):
        raise CheckSkipped("the endpoint returned a value for every attribute already")
    return settle(s, user, update.body)


def _manager_keys(s: Session) -> list[str]:
    keys = rules.manager_targets(s.user_mapping)
    if not keys:
        raise CheckSkipped("the schema maps no manager attribute")
    return keys


def add_manager(s: Session) -> str:
    _manager_keys(s)
    user = _main(s)
    user.manager = extra_user(s, "second").target_id
    update, _ = s.update(user)
    return settle(s, user, update.body)


def replace_manager(s: Session) -> str:
    _manager_keys(s)
    s.require("users.add-manager")
    user = _main(s)
    user.manager = extra_user(s, "third").target_id
    update, _ = s.update(user)
    return settle(s, user, update.body)


def remove_manager(s: Session) -> str:
    _manager_keys(s)
    s.require("users.add-manager")
    user = _main(s)
    user.manager = None
    update, _ = s.update(user, manager_removed=True)
    if update.body is None:
        raise CheckFailed("the user shows no manager to remove")
    return settle(s, user, update.body, manager_removed=True)


def disable(s: Session) -> str:
    user = _main(s)
    active = rules.active_attribute(s.user_mapping)
    if active is None:
        raise CheckSkipped("the schema does not map active (soft delete)")
    current = s.read(user)
    user.soft_deleted = True
    mapped = rules.map_object(s.user_mapping, s.source(user), is_create=False)
    planned = scim_requests.user_disable(mapped, active, current, s.dialect, s.exact("User"))
    if planned.body is None:
        raise CheckFailed("the user reads as disabled before it was disabled")
    assert user.target_id is not None
    s.target.patch("Users", user.target_id, planned.body)
    status = last(s).status
    stays = "Entra logs the disable as successful, but the account stays active in the app."
    after = s.read(user)
    if rules.diff({active: "False"}, after):
        raise CheckFailed(
            f"PATCH ({ops_text(planned.body)}) answered {status}, but a GET shows "
            f"active = {after.get(active)!r}",
            production=stays,
        )
    attribute, value = s.matching_pairs(user)[0]
    found = s.target.query("Users", attribute, value)
    if len(found) != 1 or rules.diff({active: "False"}, found[0]):
        raise CheckFailed(
            f"disabled, but the filter {attribute} eq {value!r} answered "
            f"{[(r.get('id'), r.get(active)) for r in found]}",
            production="Entra cannot find the disabled user again (Microsoft requires inactive "
            "users to stay in query results): a re-assignment tries to create it anew.",
        )
    return f"PATCH ({ops_text(planned.body)}) answered {status}; GET and filter show it inactive"


def reenable(s: Session) -> str:
    s.require("users.disable")
    user = _main(s)
    user.soft_deleted = False
    update, _ = s.update(user)
    if update.body is None:
        raise CheckFailed("the disabled user already reads as active")
    return settle(s, user, update.body)


def null_and_empty(s: Session) -> str:
    user = _main(s)
    plain = plain_targets(s, "User")[:2]
    if not plain:
        raise CheckSkipped("the mapping has no plain optional attribute")
    assert user.target_id is not None
    seen = []
    for value, label in (("", "empty strings"), (None, "nulls")):
        changes = {target: value for target, _ in plain}
        body = rules.scim_payloads.user_patch_body(changes, s.dialect)
        try:
            s.target.patch("Users", user.target_id, body)
        except TargetError as exc:
            raise failure_of(exc, "user") from None
        current = s.read(user)
        kept = {
            t: rules.scim_payloads.get_path(current, t)
            for t, _ in plain
            if rules.scim_payloads.get_path(current, t) not in (None, "", [])
        }
        if kept:
            raise CheckFailed(
                f"PATCH with {label} answered {last(s).status}, but a GET still shows {kept}",
                production="Entra itself never sends null (Microsoft Entra ID cannot provision "
                "null attributes), so provisioning is not affected; Microsoft's validator "
                "checks it.",
            )
        seen.append(label)
    return f"{' and '.join(seen)} cleared {', '.join(t for t, _ in plain)}"


def pagination(s: Session) -> str:
    s.require("users.create")
    extra_user(s, "second")
    return page_through(s, "Users")


def delete(s: Session) -> str:
    user = _main(s)
    if "Delete" not in rules.flow_types(s.user_mapping):
        raise CheckSkipped("Delete is not enabled for users in the schema's Target Object Actions")
    try:
        s.delete(user)
    except TargetError as exc:
        raise failure_of(exc, "user") from None
    status = last(s).status
    return gone(s, user, status)


def delete_twice(s: Session) -> str:
    s.require("users.delete")
    return delete_again(s, s.objects["main"])


def delete_non_existent(s: Session) -> str:
    return delete_unknown(s, "Users")


def _check(
    id_: str,
    name: str,
    run: Callable[[Session], str],
    mandatory: bool,
    expected: str,
    reference: str,
    **labels: bool,
) -> Check:
    return Check(id_, name, "Users", mandatory, expected, reference, run, **labels)


CHECKS = [
    _check(
        "users.filter-non-existing",
        "Filter for a non-existing user (test connection)",
        filter_non_existing,
        True,
        "200 with an empty ListResponse: Entra sends this query at Test Connection and at the "
        "start of every cycle",
        GUIDE,
    ),
    _check(
        "users.create",
        "Create a new User",
        create,
        True,
        "the matching queries find nothing, POST /Users answers 201 with an id, and the user "
        "reads back with the values sent (so Entra's next cycle has nothing to update)",
        "RFC 7644 §3.3; " + GUIDE,
    ),
    _check(
        "users.create-duplicate",
        "Create a duplicate User",
        create_duplicate,
        False,
        "409 Conflict (scimType uniqueness) for a second user with the same userName",
        "RFC 7644 §3.3",
    ),
    _check(
        "users.filter-existing",
        "Filter for an existing user",
        filter_existing,
        True,
        "each matching query (eq, in matching precedence) answers exactly the user",
        "RFC 7644 §3.4.2.2; " + GUIDE,
    ),
    _check(
        "users.filter-different-case",
        "Filter for an existing user with a different case",
        filter_different_case,
        True,
        "the matching query with the value in another case answers the user (userName is not "
        "case-exact)",
        "RFC 7643 §4.1.1; RFC 7644 §3.4.2.2",
    ),
    _check(
        "users.get",
        "Get user by id",
        get_by_id,
        True,
        "GET /Users/{id} answers that one user",
        "RFC 7644 §3.4.1",
    ),
    _check(
        "users.patch-replace",
        "Patch User - Replace Attributes",
        patch_replace,
        True,
        "Entra's minimal PATCH of every changed attribute (filtered paths such as "
        'emails[type eq "work"].value included) answers 200/204 and a GET shows the new values',
        "RFC 7644 §3.5.2; " + COMPAT,
        patch=True,
    ),
    _check(
        "users.multiple-ops-different-attributes",
        "Patch User - Multiple Ops on different attributes",
        patch_multiple,
        False,
        "one PATCH changing two attributes (two operations; with aadOptscim062020 one path-less "
        "replace keyed by attribute path) is applied whole",
        "RFC 7644 §3.5.2; " + COMPAT,
        patch=True,
        entra_with_flag=True,
    ),
    _check(
        "users.update-username",
        "Update User userName",
        update_username,
        True,
        "Replace userName answers 200/204; GET and the userName filter show the new value",
        "RFC 7644 §3.5.2; " + GUIDE,
        patch=True,
    ),
    _check(
        "users.add-attributes",
        "Patch User - Add Attributes",
        add_attributes,
        True,
        "for a user created with only its matching attributes, Entra's Add operations answer "
        "200/204 and a GET shows the values",
        "RFC 7644 §3.5.2.1; " + COMPAT,
        entra=True,  # Add with a filtered path (emails[type eq "work"].value)
    ),
    _check(
        "users.add-manager",
        "Patch User - Add Manager",
        add_manager,
        True,
        "Add of the manager reference ({value: id}) is applied",
        GUIDE,
        patch=True,
    ),
    _check(
        "users.replace-manager",
        "Patch User - Replace Manager",
        replace_manager,
        True,
        "Replace of the manager reference is applied",
        GUIDE,
        patch=True,
    ),
    _check(
        "users.remove-manager",
        "Patch User - Remove Manager",
        remove_manager,
        True,
        "Remove of the manager is applied (a GET shows no manager)",
        GUIDE,
        patch=True,
    ),
    _check(
        "users.disable",
        "Patch User - Disable User",
        disable,
        True,
        'Entra\'s disable (Replace active "False" in the default dialect, replace active false '
        "with aadOptscim062020) answers 200/204; GET and the matching filter still show the user, "
        "inactive",
        COMPAT,
        patch=True,
    ),
    _check(
        "users.reenable",
        "Patch User - Re-enable User",
        reenable,
        True,
        'Replace active "True" (true with aadOptscim062020) makes the user active again',
        COMPAT,
        patch=True,
    ),
    _check(
        "users.null-and-empty",
        "Patch User - Null and empty updates",
        null_and_empty,
        False,
        "replacing attributes with empty strings, then with null, leaves them unassigned",
        "RFC 7643 §2.5; RFC 7644 §3.5.2.3",
        patch=True,
    ),
    _check(
        "users.pagination",
        "Users pagination",
        pagination,
        False,
        "startIndex=1&count=1 and startIndex=2&count=1 answer one different user each, with "
        "startIndex and totalResults",
        "RFC 7644 §3.4.2.4",
    ),
    _check(
        "users.delete",
        "Delete a User",
        delete,
        False,
        "DELETE /Users/{id} answers 204; GET then answers 404 and the filter finds nothing",
        "RFC 7644 §3.6; " + GUIDE,
    ),
    _check(
        "users.delete-twice",
        "Delete the same User twice",
        delete_twice,
        False,
        "the second DELETE answers 404",
        "RFC 7644 §3.6",
    ),
    _check(
        "users.delete-non-existent",
        "Delete a non-existent User",
        delete_non_existent,
        False,
        "DELETE of an id that never existed answers 404",
        "RFC 7644 §3.6",
    ),
]
