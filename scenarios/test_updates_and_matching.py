"""Updates and matching: matching attributes, and the PATCH an attribute change sends.
Microsoft documents both: https://learn.microsoft.com/en-us/entra/identity/app-provisioning/how-provisioning-works and
https://learn.microsoft.com/en-us/entra/identity/app-provisioning/customize-application-attributes (docs/rules.md)."""

from __future__ import annotations

from harness.testing import Driver, entry_status, lines


def test_an_attribute_change_patches_only_that_attribute(d: Driver) -> None:
    d.add_user("alice", department="Design")
    d.assign("alice")
    d.sync()
    scim_id = d.miro_user("alice@contoso.com")["id"]
    d.mark()

    d.update_user("alice", department="Sales")
    d.next_cycle()

    d.expect_miro_user("alice@contoso.com", department="Sales", displayName="Alice Example")
    assert [(r.line, r.operations) for r in d.writes()] == [
        (
            f"PATCH /Users/{scim_id}",
            [
                {
                    "op": "Replace",
                    "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                    "value": "Sales",
                }
            ],
        )
    ]
    d.expect_log("alice", action="update", status="success", step="EntryExportUpdate")


def test_a_change_miro_does_not_receive_is_a_redundant_export(d: Driver) -> None:
    d.add_user("bob")
    d.assign("bob")
    d.sync()
    d.mark()

    d.update_user("bob", jobTitle="Architect")  # not mapped to Miro
    d.next_cycle()

    assert d.writes() == []
    d.expect_log("bob", action="other", status="skipped", skip_reason="RedundantExport")
    d.expect_miro_user("bob@contoso.com", active=True)


def test_an_existing_miro_user_is_matched_case_insensitively(d: Driver) -> None:
    existing = d.miro_add_user("Carol@Contoso.com", displayName="Carol From Before")
    d.add_user("carol")
    d.assign("carol")

    d.sync()

    assert not [r for r in d.writes() if r.method == "POST"]
    patches = [r for r in d.writes() if r.method == "PATCH"]
    assert patches and patches[0].path == f"/Users/{existing['id']}"
    d.expect_miro_user("carol@contoso.com", id=existing["id"], displayName="Carol Example")
    assert len(d.miro_users()) == 1
    entry = d.expect_log("carol", action="update", status="success")
    assert entry["targetIdentity"]["id"] == existing["id"]


def test_an_identical_existing_miro_user_is_matched_without_a_write(d: Driver) -> None:
    d.miro_add_user(
        "dan@contoso.com",
        displayName="Dan Example",
        externalId="dan",
        name={"givenName": "Dan", "familyName": "Example"},
        emails=[{"primary": True, "type": "work", "value": "dan@contoso.com"}],
    )
    d.add_user("dan")
    d.assign("dan")

    d.sync()

    assert d.writes() == []
    d.expect_log("dan", action="other", status="skipped", skip_reason="RedundantExport")
    d.expect_miro_user("dan@contoso.com", active=True)


def test_two_matching_miro_users_fail_with_duplicate_target_entries(d: Driver) -> None:
    d.map_attribute("User", "externalId", "[mailNickname]", matchingPriority=1)
    d.map_attribute("User", "userName", "[userPrincipalName]", matchingPriority=0)
    d.miro_add_user("erin.one@contoso.com", externalId="erin")
    d.miro_add_user("erin.two@contoso.com", externalId="erin")
    d.add_user("erin")
    d.assign("erin")

    d.sync()

    d.expect_log("erin", status="failure", error_code="DuplicateTargetEntries")
    assert not [r for r in d.writes() if r.path.startswith("/Users")]
    d.expect_no_miro_user("erin@contoso.com")
    assert len(d.miro_users()) == 2


def test_a_upn_change_renames_the_linked_miro_user(d: Driver) -> None:
    d.add_user("fay")
    d.assign("fay")
    d.sync()
    scim_id = d.miro_user("fay@contoso.com")["id"]
    d.mark()

    d.update_user("fay", userPrincipalName="fay.new@contoso.com")
    d.next_cycle()

    # Linked users are not matched again: the cached id is PATCHed with the new userName.
    assert {"op": "Replace", "path": "userName", "value": "fay.new@contoso.com"} in [
        op for r in d.writes() for op in r.operations
    ]
    d.expect_miro_user("fay.new@contoso.com", id=scim_id)
    d.expect_no_miro_user("fay@contoso.com")
    d.expect_log(
        "fay",
        action="update",
        status="success",
        modified={"userName": ("fay@contoso.com", "fay.new@contoso.com")},
    )


def test_after_a_full_restart_a_upn_change_creates_a_second_miro_account(d: Driver) -> None:
    d.add_user("gus")
    d.assign("gus")
    d.sync()
    d.update_user("gus", userPrincipalName="gus.new@contoso.com", mail="gus.new@contoso.com")
    d.pause()
    d.restart("Full")  # forgets the links: the user is matched again, by the new userName
    d.mark()

    d.advance("0")

    assert "POST /Users" in lines(d.requests())
    d.expect_miro_user("gus.new@contoso.com", active=True)
    d.expect_miro_user("gus@contoso.com", active=True)  # the old account stays: a duplicate
    d.expect_log("gus", action="create", status="success")


def test_a_user_without_a_matching_value_is_skipped_at_import(d: Driver) -> None:
    d.map_attribute("User", "externalId", "[employeeId]", matchingPriority=1)
    d.map_attribute("User", "userName", "[userPrincipalName]", matchingPriority=0)
    d.add_user("hana")  # no employeeId
    d.assign("hana")

    d.sync()

    d.expect_log("hana", status="skipped", skip_reason="ImportSkipped")
    d.expect_no_miro_user("hana@contoso.com")
    assert d.writes() == []


def test_two_entra_users_matching_one_miro_user_fail_with_duplicate_source_entries(
    d: Driver,
) -> None:
    d.map_attribute("User", "userName", "[mail]", matchingPriority=1)
    d.add_user("ivy", mail="shared@contoso.com")
    d.add_user("jay", mail="shared@contoso.com")
    d.assign("ivy")
    d.assign("jay")

    d.sync()

    assert len(d.miro_users()) == 1  # one of them got the account...
    created = [
        n
        for n in ("ivy", "jay")
        if d.logs(n)[-1]["provisioningAction"] == "create"
        and entry_status(d.logs(n)[-1]) == "success"
    ]
    other = ({"ivy", "jay"} - set(created)).pop()
    assert len(created) == 1
    d.expect_log(other, status="failure", error_code="DuplicateSourceEntries")  # ...not both
    assert len([r for r in d.writes() if r.line == "POST /Users"]) == 1


def test_editing_a_mapping_re_exports_every_user_in_a_new_initial_cycle(d: Driver) -> None:
    for name in ("kim", "leo"):
        d.add_user(name)
        d.assign(name)
    d.sync()
    d.mark()

    d.map_attribute("User", "displayName", 'Join(" ", [surname], [givenName])')
    cycles = d.next_cycle()

    assert [c["type"] for c in cycles] == ["initial"]
    d.expect_miro_user("kim@contoso.com", displayName="Example Kim")
    d.expect_miro_user("leo@contoso.com", displayName="Example Leo")
    assert len([r for r in d.writes() if r.method == "PATCH"]) == 2
    assert not [r for r in d.writes() if r.method == "POST"]
    d.expect_log(
        "kim",
        action="update",
        status="success",
        modified={"displayName": ("Kim Example", "Example Kim")},
    )


def test_a_portal_restart_keeps_the_links_and_creates_no_duplicates(d: Driver) -> None:
    d.add_user("mo")
    d.assign("mo")
    d.sync()
    d.update_user("mo", userPrincipalName="mo.new@contoso.com")
    d.mark()

    d.restart()  # the portal's Restart: watermark, escrows, quarantine; not the links
    d.advance("0")

    assert len(d.miro_users()) == 1
    d.expect_miro_user("mo.new@contoso.com", active=True)
    assert not [r for r in d.writes() if r.method == "POST"]
    d.expect_log("mo", action="update", status="success")
