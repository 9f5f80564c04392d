"""The filter engine: parsing, every operator, value paths, case rules, index use."""

from __future__ import annotations

from typing import Any

import pytest

from mock_miro import MiroBackend
from mock_miro.exceptions import ScimError
from mock_miro.filters import (
    And,
    Compare,
    Not,
    Or,
    Present,
    ValuePath,
    compare,
    index_lookup,
    matches,
    parse_filter,
)
from mock_miro.schemas import EXTENSIONS, USER_SCHEMA, USER_TABLE
from tests.support.miro import Scim

ENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ALICE: dict[str, Any] = {
    "id": "3074457345600000001",
    "externalId": "AbC",
    "userName": "Alice@Contoso.com",
    "displayName": "Alice Smith",
    "userType": "Full",
    "active": True,
    "name": {"givenName": "Alice", "familyName": "Smith"},
    "emails": [
        {"value": "alice@contoso.com", "type": "work", "primary": True},
        {"value": "a@home.example", "type": "home"},
    ],
    "roles": [
        {"value": "ORGANIZATION_INTERNAL_USER", "type": "organization_user_role", "primary": True}
    ],
    "groups": [{"value": "3458764577585056871", "display": "Design"}],
    ENT: {"department": "IT", "employeeNumber": "42"},
}


def hit(text: str, resource: dict[str, Any] = ALICE) -> bool:
    return matches(parse_filter(text, (USER_SCHEMA,)), resource, USER_TABLE, EXTENSIONS)


@pytest.mark.parametrize(
    "text",
    [
        'userName eq "alice@contoso.com"',  # userName is caseExact=false
        'USERNAME EQ "ALICE@CONTOSO.COM"',  # attribute names and operators are case-insensitive
        'displayName co "smith"',
        'displayName sw "ali"',
        'displayName ew "SMITH"',
        'userType ne "Free"',
        "active eq true",
        'active eq "True"',  # Entra's string boolean
        "title pr or displayName pr",
        'displayName gt "Aaron"',
        'displayName ge "Alice Smith"',
        'displayName lt "Bob"',
        'displayName le "Alice Smith"',
        'name.familyName eq "smith"',
        'emails.value eq "a@home.example"',
        'emails eq "alice@contoso.com"',  # multi-valued complex compares on value
        'emails[type eq "work"].value eq "alice@contoso.com"',
        'emails[type eq "work" and primary eq true]',
        'roles[primary eq "True"].value eq "ORGANIZATION_INTERNAL_USER"',
        'groups.value eq "3458764577585056871"',
        f'{ENT}:department eq "it"',
        f'{USER_SCHEMA}:userName eq "alice@contoso.com"',
        'not (userType eq "Free")',
        '(active eq false or userType eq "Full") and not (displayName eq "Bob")',
        'externalId eq "AbC"',
        "id eq 3074457345600000001",  # an unquoted number compares as text
    ],
)
def test_matching_filters(text: str) -> None:
    assert hit(text)


@pytest.mark.parametrize(
    "text",
    [
        'userName eq "bob@contoso.com"',
        'externalId eq "abc"',  # externalId is caseExact
        'emails[type eq "home"].value eq "alice@contoso.com"',
        "active eq false",
        "active gt true",  # booleans only compare for equality
        "title pr",
        'nickName eq "x"',  # unknown attributes match nothing
        "not (active eq true)",
        'userType ne "Full"',
        f"{ENT}:manager.value pr",
        'emails[type eq "other"]',
    ],
)
def test_non_matching_filters(text: str) -> None:
    assert not hit(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "userName eq",
        'userName "x"',
        'userName xx "x"',
        '(userName eq "x"',
        'userName eq "x")',
        'userName eq "x" and',
        'emails[type eq "work"',
        'eq "x"',
        "userName eq unquoted",
        '"x" eq userName',
        'userName eq "x" extra',
        'emails[type eq "w"].value',
        'a..b eq "x"',
        'userName eq "\\q"',
    ],
)
def test_invalid_filters_are_400_invalid_filter(text: str) -> None:
    with pytest.raises(ScimError) as caught:
        parse_filter(text)
    assert caught.value.status == 400
    assert caught.value.scim_type == "invalidFilter"


def test_the_tree_shapes() -> None:
    node = parse_filter('a eq "1" or b pr and not (c ne 2)')
    assert isinstance(node, Or)
    assert isinstance(node.left, Compare)
    assert isinstance(node.right, And)
    assert isinstance(node.right.left, Present)
    assert isinstance(node.right.right, Not)
    assert isinstance(parse_filter('emails[type eq "work"]'), ValuePath)


def test_null_literal() -> None:
    assert hit("title eq null")
    assert not hit("displayName eq null")
    assert hit("displayName ne null")


def test_index_lookup_finds_username_under_and_only() -> None:
    assert (
        index_lookup(parse_filter('userName eq "x@y.com" and active eq true'), "username")
        == "x@y.com"
    )
    assert (
        index_lookup(parse_filter('active eq true and userName eq "x@y.com"'), "username")
        == "x@y.com"
    )
    assert index_lookup(parse_filter('userName eq "x@y.com" or active eq true'), "username") is None
    assert index_lookup(parse_filter('userName co "x"'), "username") is None


def test_too_long_filter_is_refused() -> None:
    with pytest.raises(ScimError):
        parse_filter('userName eq "' + "x" * 20_000 + '"')


@pytest.mark.parametrize(
    "text",
    [
        "(" * 3000 + "a pr" + ")" * 3000,
        "not " * 3000 + "a pr",
        "a[" * 2000 + "b pr" + "]" * 2000,
    ],
)
def test_deep_nesting_is_a_400_not_a_recursion_error(text: str) -> None:
    with pytest.raises(ScimError) as caught:
        parse_filter(text)
    assert caught.value.scim_type == "invalidFilter"


def test_long_paths_are_refused_quickly() -> None:
    with pytest.raises(ScimError):
        parse_filter("urn:" + ":" * 5000 + "a pr")


def test_miros_documented_user_filter_examples(scim: Scim, backend: MiroBackend) -> None:
    # The examples of Miro's GET /Users reference (https://developers.miro.com/reference/getuser):
    # groups.value eq "<team id>" and userType ne "Full".
    team = backend.create_team("Design")["id"]
    member = scim.create_user("in@x.com")["id"]
    scim.create_user("out@x.com")
    backend.add_team_member(team, member)
    found = scim.get("/Users", filter=f'groups.value eq "{team}"').get_json()
    assert [u["userName"] for u in found["Resources"]] == ["in@x.com"]
    scim.create_user("free@x.com", userType="Free")
    found = scim.get("/Users", filter='userType ne "Full"').get_json()
    assert [u["userName"] for u in found["Resources"]] == ["free@x.com"]


# RFC 7644 §3.4.2.2 (https://www.rfc-editor.org/rfc/rfc7644#section-3.4.2.2): gt, ge, lt and le
# compare numbers by value and strings lexicographically; each is strict or not at the boundary.
@pytest.mark.parametrize(
    ("op", "below", "equal", "above"),
    [
        ("gt", False, False, True),
        ("ge", False, True, True),
        ("lt", True, False, False),
        ("le", True, True, False),
        ("eq", False, True, False),
    ],
)
def test_ordering_operators_at_the_boundary(op: str, below: bool, equal: bool, above: bool) -> None:
    for actual, literal in ((41, 42), (41.5, 42), ("b", "c")):
        assert compare(op, actual, literal, False) is below
    for actual, literal in ((42, 42), (42.0, 42), ("c", "c"), ("C", "c")):
        assert compare(op, actual, literal, False) is equal
    for actual, literal in ((43, 42), (42.5, 42), ("d", "c")):
        assert compare(op, actual, literal, False) is above


def test_and_needs_both_sides_or_needs_one() -> None:
    # RFC 7644 §3.4.2.2: "and" matches when both expressions are true, "or" when either is.
    true, false = 'userName eq "alice@contoso.com"', 'displayName eq "Bob"'
    assert hit(f"{true} and {true}")
    assert not hit(f"{true} and {false}")
    assert not hit(f"{false} and {true}")
    assert hit(f"{true} or {false}") and hit(f"{false} or {true}")
    assert not hit(f"{false} or {false}")
    assert hit(f"not ({false})") and not hit(f"not ({true})")
