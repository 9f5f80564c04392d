"""The group checks, in the order they run: what Entra's engine sends for a group (match by
displayName with ``excludedAttributes=members``, create, rename, members, delete), from
Microsoft's SCIM guide
(https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups)."""

from __future__ import annotations

from collections.abc import Callable

from harness.engine import rules, scim_requests
from harness.engine.errors import TargetError
from harness.validate import production
from harness.validate.checks.common import (
    answered,
    case_variant,
    delete_again,
    delete_unknown,
    expect_status,
    extra_user,
    failure_of,
    gone,
    last,
    members_of,
    ops_text,
    page_through,
    remove_twin,
    settle,
)
from harness.validate.model import Check, CheckFailed, CheckSkipped
from harness.validate.session import Session, TestObject

GUIDE = "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups"
COMPAT = "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility"
MIRO_TUTORIAL = (
    "https://learn.microsoft.com/en-us/entra/identity/saas-apps/miro-provisioning-tutorial"
)
REFUSED = (405, 501)
LIMITATION = (
    " The endpoint refuses the method for groups. Where this is by design (Microsoft's Miro "
    f"tutorial documents it for Miro's teams: {MIRO_TUTORIAL}), uncheck Create and Delete under "
    "Target Object Actions for groups; Entra then only matches existing groups by displayName "
    "and updates their members."
)


def _limitation(run: Callable[[Session], str]) -> Callable[[Session], str]:
    """A 405 or 501 to a group request is reported as the documented limitation it may be."""

    def checked(s: Session) -> str:
        try:
            return run(s)
        except CheckFailed as failure:
            if failure.info is not None and failure.info.status in REFUSED:
                failure.production = (failure.production or "") + LIMITATION
                failure.limitation = True
            raise

    return checked


def _flows(s: Session) -> set[str]:
    mapping = s.group_mapping
    return rules.flow_types(mapping) if mapping is not None else set()


def _group(s: Session) -> TestObject:
    """The group the membership checks use: ``--existing-group``, else the one created."""
    existing = s.options.existing_group
    if existing is None:
        s.require("groups.create")
        return s.objects["group"]
    group = s.objects.get("existing")
    if group is None:
        found = s.target.query("Groups", "displayName", existing, exclude_members=True)
        if len(found) != 1:
            raise CheckFailed(
                f"displayName eq {existing!r} answered {len(found)} groups, not one "
                "(--existing-group)"
            )
        group = TestObject("Group", s.values.guid(), {"displayName": existing})
        group.target_id = str(found[0]["id"])
        s.objects["existing"] = group
    return group


def _own_group(s: Session, what: str) -> TestObject:
    if s.options.existing_group is not None:
        raise CheckSkipped(f"not run against an existing group: it would {what} it")
    return _group(s)


def filter_non_existing(s: Session) -> str:
    group = TestObject("Group", s.values.guid(), s.values.group())
    attribute, value = s.matching_pairs(group)[0]
    try:
        found = s.target.query("Groups", attribute, value, exclude_members=True)
    except TargetError as exc:
        raise failure_of(exc, "group") from None
    if found:
        raise CheckFailed(
            f"{len(found)} group(s) answered {attribute} eq {value!r} (is the filter ignored?)",
            production="Entra links new groups to whatever the filter answers instead of "
            "creating them.",
        )
    return f"200 and an empty ListResponse for {attribute} eq {value!r}"


def create(s: Session) -> str:
    if "Add" not in _flows(s):
        raise CheckSkipped("Create is not enabled for groups in the schema's Target Object Actions")
    group = s.new_group("group")
    try:
        created = s.create(group)
    except TargetError as exc:
        raise failure_of(exc, "group") from None
    status = next(e.status for e in reversed(s.recorder.exchanges) if e.method == "POST")
    pending = s.settled(group)
    if pending:
        raise CheckFailed(
            f"POST answered {status} with id {created['id']}, but a GET shows "
            f"{', '.join(sorted(pending))} different from what was sent",
            production="Entra sends a PATCH for these attributes on every cycle.",
        )
    return f"POST answered {status} with id {created['id']}; a GET shows the values sent"


def create_duplicate(s: Session) -> str:
    s.require("groups.create")
    group = s.objects["group"]
    _, body = scim_requests.group_create(s.mapping("Group"), s.source(group))
    try:
        created = s.target.create("Groups", body)
    except TargetError as exc:
        if exc.info.status == 409:
            return "409 Conflict"
        raise CheckFailed(
            f"POST of an existing displayName answered {answered(last(s))}, not 409",
            production=production.for_error(exc.info, "group"),
            info=exc.info,
        ) from None
    remove_twin(s, "Groups", str(created["id"]))
    raise CheckFailed(
        f"POST of an existing displayName created a second group ({created['id']})",
        production="Entra needs unique group names: its next match by displayName finds two "
        "groups and fails with DuplicateTargetEntries.",
    )


def filter_existing(s: Session) -> str:
    group = _group(s)
    seen = []
    for attribute, value in s.matching_pairs(group):
        try:
            found = s.target.query("Groups", attribute, value, exclude_members=True)
        except TargetError as exc:
            raise failure_of(exc, "group") from None
        ids = [str(r.get("id")) for r in found]
        if ids != [group.target_id]:
            raise CheckFailed(
                f"{attribute} eq {value!r} answered {ids or 'no group'}, not [{group.target_id}]",
                production="Entra does not find the group it should match: it tries to create "
                "it again (or, with Create unchecked, never provisions its members).",
            )
        seen.append(f"{attribute} eq {value!r}")
    return f"exactly the group for {', '.join(seen)} (excludedAttributes=members)"


def filter_different_case(s: Session) -> str:
    group = _group(s)
    attribute, value = s.matching_pairs(group)[0]
    if not isinstance(value, str) or attribute in (s.exact("Group") or set()):
        raise CheckSkipped("the matching attribute is not a string compared without case")
    variant = case_variant(value)
    found = s.target.query("Groups", attribute, variant, exclude_members=True)
    ids = [str(r.get("id")) for r in found]
    if ids != [group.target_id]:
        raise CheckFailed(
            f"{attribute} eq {variant!r} answered {ids or 'no group'}; displayName is not "
            "case-exact, so it should find the group",
            production="When the Entra group's name differs from the app's only in case, "
            "Entra finds no match and tries to create the group again.",
        )
    return f"{attribute} eq {variant!r} found the group"


def patch_replace(s: Session) -> str:
    group = _own_group(s, "change")
    name_sources = {
        n for a in s.mapping("Group").matching_mappings() for n in a.expression.attributes
    }
    group.object_id = s.values.guid()  # as when Entra matches a group another group created
    fresh = s.values.group()
    group.attrs = {k: (v if k in name_sources else fresh.get(k, v)) for k, v in group.attrs.items()}
    update, _ = s.update(group)
    if update.body is None:
        raise CheckSkipped("the group mapping has no attribute besides displayName and members")
    return settle(s, group, update.body)


def update_display_name(s: Session) -> str:
    group = _own_group(s, "rename")
    attr = s.mapping("Group").by_target("displayName")
    if attr is None or not attr.is_mapped or not attr.expression.is_attribute:
        raise CheckSkipped("displayName is not mapped directly from a source attribute")
    group.attrs[attr.expression.attributes[0]] = s.values.group()["displayName"]
    update, _ = s.update(group)
    done = settle(s, group, update.body)
    new = update.changes.get("displayName")
    found = s.target.query("Groups", "displayName", new, exclude_members=True)
    if [str(r.get("id")) for r in found] != [group.target_id]:
        raise CheckFailed(
            f"{done}, but displayName eq {new!r} does not find it",
            production="Entra's matching by the new name misses the group.",
        )
    return done


def _patch_members(s: Session, group: TestObject, add: list[str], remove: list[str]) -> str:
    bodies = rules.member_patches(add, remove, s.dialect)
    assert group.target_id is not None
    texts = []
    for body in bodies:
        try:
            s.target.patch("Groups", group.target_id, body)
        except TargetError as exc:
            raise failure_of(exc, "group's membership") from None
        texts.append(f"PATCH ({ops_text(body)}) answered {last(s).status}")
    return "; ".join(texts)


def add_member(s: Session) -> str:
    group = _group(s)
    user = extra_user(s, "second")
    assert user.target_id is not None
    done = _patch_members(s, group, [user.target_id], [])
    if user.target_id not in members_of(s, group):
        raise CheckFailed(
            f"{done}, but the group's members do not include {user.target_id}",
            production="Entra logs the membership as exported; the user is not in the group in "
            "the app.",
        )
    return f"{done}; the member shows in a GET"


def get_excluding_members(s: Session) -> str:
    group = _group(s)
    try:
        current = s.read(group)
    except TargetError as exc:
        raise failure_of(exc, "group") from None
    if str(current.get("id")) != group.target_id:
        raise CheckFailed(f"GET answered the resource {current.get('id')!r}")
    return "200 with the group and no members"


def remove_member(s: Session) -> str:
    s.require("groups.add-member")
    group = _group(s)
    user = s.objects["second"]
    assert user.target_id is not None
    done = _patch_members(s, group, [], [user.target_id])
    if user.target_id in members_of(s, group):
        raise CheckFailed(
            f"{done}, but the group's members still include {user.target_id}",
            production="Entra logs the removal as exported; the user stays in the group in the "
            "app (and keeps what the group grants).",
        )
    return f"{done}; the member is gone from a GET"


def multiple_ops_same_attribute(s: Session) -> str:
    group = _group(s)
    second, third = extra_user(s, "second"), extra_user(s, "third")
    assert second.target_id is not None and third.target_id is not None
    members = members_of(s, group)
    if second.target_id not in members:
        _patch_members(s, group, [second.target_id], [])
    done = _patch_members(s, group, [third.target_id], [second.target_id])
    members = members_of(s, group)
    if third.target_id not in members or second.target_id in members:
        raise CheckFailed(
            f"{done}, but the members are {sorted(members)}: expected {third.target_id} in and "
            f"{second.target_id} out",
            production="Entra sends a cycle's additions and removals in one PATCH: part of them "
            "is lost.",
        )
    _patch_members(s, group, [], [third.target_id])
    return f"{done}; a GET shows both applied"


def pagination(s: Session) -> str:
    _group(s)
    first = s.send("GET", "/Groups", params=[("startIndex", "1"), ("count", "1")])
    body = first.json() if first.status_code == 200 else {}
    total = body.get("totalResults") if isinstance(body, dict) else None
    if isinstance(total, int) and total < 2 and "Add" in _flows(s):
        s.require("groups.create")  # a second group is made the same way
        extra = s.new_group("extra-group")
        try:
            s.create(extra)
        except TargetError as exc:
            raise failure_of(exc, "group") from None
    return page_through(s, "Groups")


def delete(s: Session) -> str:
    if "Delete" not in _flows(s):
        raise CheckSkipped("Delete is not enabled for groups in the schema's Target Object Actions")
    group = s.objects.get("group")
    if group is None or group.target_id is None:
        return _delete_probe(s)
    try:
        s.delete(group)
    except TargetError as exc:
        raise failure_of(exc, "group") from None
    return gone(s, group, last(s).status)


def _delete_probe(s: Session) -> str:
    """No group of the run to delete: learn whether DELETE is refused, on an unknown id."""
    ghost = s.values.guid()
    exchange, error = expect_status(s, lambda: s.target.delete("Groups", ghost), 404, "group")
    if error is None:
        raise CheckFailed(f"DELETE /Groups/{ghost} answered {exchange.status}, not 404")
    raise CheckSkipped(
        "no group of this run to delete (Create a new Group did not create one); DELETE of an "
        "unknown group answered 404, so the method is supported"
    )


def delete_twice(s: Session) -> str:
    s.require("groups.delete")
    return delete_again(s, s.objects["group"])


def delete_non_existent(s: Session) -> str:
    if "Delete" not in _flows(s):
        raise CheckSkipped("Delete is not enabled for groups in the schema's Target Object Actions")
    return delete_unknown(s, "Groups")


def _check(
    id_: str,
    name: str,
    run: Callable[[Session], str],
    mandatory: bool,
    expected: str,
    reference: str,
    **labels: bool,
) -> Check:
    return Check(id_, name, "Groups", mandatory, expected, reference, run, **labels)


CHECKS = [
    _check(
        "groups.filter-non-existing",
        "Filter for a non-existing group",
        filter_non_existing,
        True,
        "200 with an empty ListResponse for displayName eq an unknown name "
        "(excludedAttributes=members)",
        GUIDE,
    ),
    _check(
        "groups.create",
        "Create a new Group",
        _limitation(create),
        True,
        "the match finds nothing, POST /Groups with Entra's body (both schema URNs, externalId, "
        "displayName) answers 201 with an id, and the group reads back as sent",
        "RFC 7644 §3.3; " + GUIDE,
        entra=True,
    ),
    _check(
        "groups.create-duplicate",
        "Create a duplicate Group",
        create_duplicate,
        False,
        "409 Conflict for a second group with the same displayName",
        "RFC 7644 §3.3",
    ),
    _check(
        "groups.filter-existing",
        "Filter for an existing group",
        filter_existing,
        True,
        "displayName eq the group's name, excludedAttributes=members, answers exactly the group",
        "RFC 7644 §3.4.2.2; " + GUIDE,
    ),
    _check(
        "groups.filter-different-case",
        "Filter for an existing group with a different case",
        filter_different_case,
        True,
        "the displayName filter in another case answers the group (displayName is not case-exact)",
        "RFC 7643 §4.2; RFC 7644 §3.4.2.2",
    ),
    _check(
        "groups.patch-replace",
        "Patch Group - Replace Attributes",
        patch_replace,
        True,
        "Entra's PATCH of the group's changed attributes (externalId) is applied",
        "RFC 7644 §3.5.2; " + GUIDE,
        patch=True,
    ),
    _check(
        "groups.update-display-name",
        "Update Group displayName",
        update_display_name,
        True,
        "Replace displayName is applied; the displayName filter finds the new name",
        "RFC 7644 §3.5.2; " + GUIDE,
        patch=True,
    ),
    _check(
        "groups.add-member",
        "Patch Group - Add Member",
        add_member,
        True,
        'Add members [{"$ref": null, "value": id}] is applied',
        GUIDE,
        patch=True,
    ),
    _check(
        "groups.get-excluding-members",
        "Get group by id excluding members",
        get_excluding_members,
        True,
        "GET /Groups/{id}?excludedAttributes=members answers the group (which has a member) "
        "without members",
        "RFC 7644 §3.4.2.5; " + GUIDE,
    ),
    _check(
        "groups.remove-member",
        "Patch Group - Remove Member",
        remove_member,
        True,
        "Entra's member removal (Remove members with a value list; with aadOptscim062020 "
        'remove members[value eq "id"]) is applied',
        COMPAT,
        patch=True,
    ),
    _check(
        "groups.multiple-ops-same-attribute",
        "Patch Group - Multiple Ops on same attribute",
        multiple_ops_same_attribute,
        False,
        "one PATCH adding one member and removing another is applied whole",
        "RFC 7644 §3.5.2; " + GUIDE,
        patch=True,
    ),
    _check(
        "groups.pagination",
        "Groups pagination",
        pagination,
        False,
        "startIndex=1&count=1 and startIndex=2&count=1 answer one different group each",
        "RFC 7644 §3.4.2.4",
    ),
    _check(
        "groups.delete",
        "Delete a Group",
        _limitation(delete),
        False,
        "DELETE /Groups/{id} answers 204; GET then answers 404 and the filter finds nothing",
        "RFC 7644 §3.6; " + GUIDE,
    ),
    _check(
        "groups.delete-twice",
        "Delete the same Group twice",
        delete_twice,
        False,
        "the second DELETE answers 404",
        "RFC 7644 §3.6",
    ),
    _check(
        "groups.delete-non-existent",
        "Delete a non-existent Group",
        _limitation(delete_non_existent),
        False,
        "DELETE of an id that never existed answers 404",
        "RFC 7644 §3.6",
    ),
]
