"""The filter engine rule by rule: the grammar's limits and refusals (each with its detail), the
literals, and how each operator meets each kind of attribute value.

Sources: RFC 7644 section 3.4.2.2 (https://datatracker.ietf.org/doc/html/rfc7644#section-3.4.2.2):
the operators, value paths, "Filters MUST be evaluated using the following order of operations",
case-insensitive attribute names and operators, caseExact for string comparisons, booleans and
null; section 3.12 (https://datatracker.ietf.org/doc/html/rfc7644#section-3.12): invalidFilter;
Miro's list parameters (https://developers.miro.com/reference/getuser) and Miro's error body,
whose ``detail`` explains a 400 (https://developers.miro.com/docs/errors).
"""

from __future__ import annotations

from typing import Any

import pytest

from mock_miro import MiroBackend
from mock_miro.exceptions import ScimError
from mock_miro.filters import (
    And,
    AttrPath,
    Compare,
    Not,
    Or,
    Present,
    ValuePath,
    attributes_used,
    compare,
    get_ci,
    index_lookup,
    matches,
    parse_filter,
    parse_path,
    resolve,
)
from mock_miro.schemas import EXTENSIONS, USER_SCHEMA, USER_TABLE, AttrInfo
from tests.support.miro import ENTERPRISE, Scim, assert_scim_error

ENT = ENTERPRISE


def refusal(text: str) -> tuple[int, str | None, str]:
    with pytest.raises(ScimError) as caught:
        parse_filter(text)
    return caught.value.status, caught.value.scim_type, caught.value.detail


def hit(text: str, resource: dict[str, Any]) -> bool:
    return matches(parse_filter(text, (USER_SCHEMA,)), resource, USER_TABLE, EXTENSIONS)


# ---------------------------------------------------------------- grammar


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("", "Filter is empty"),
        (" \t ", "Filter is empty"),
        ('userName eq "x' + " " * 9986, "Invalid filter near position 11"),
        ("userName eq", "Invalid filter: expected more input"),
        ('(userName eq "x"', "Invalid filter: expected ')'"),
        ('emails[type eq "work"', "Invalid filter: expected ']'"),
        ('emails[type eq "work") pr', "Invalid filter: expected ']'"),
        ('userName eq "x" extra', "Invalid filter: unexpected 'extra'"),
        ("a pr )", "Invalid filter: unexpected ')'"),
        ('"x" eq userName', "Invalid filter: expected an attribute, got '\"x\"'"),
        ("[a pr]", "Invalid filter: expected an attribute, got '['"),
        ("name.givenName[x pr]", "Invalid filter: 'name.givenName[' is not a value path"),
        (
            'emails[type eq "w"].value',
            "Invalid filter: a value path with a sub-attribute needs an operator",
        ),
        ('userName xx "x"', "Invalid filter: expected an operator after 'userName'"),
        ("userName", "Invalid filter: expected an operator after 'userName'"),
        ("userName eq unquoted", "Invalid filter: 'unquoted' is not a value (quote strings)"),
        ("userName eq 1e3", "Invalid filter: '1e3' is not a value (quote strings)"),
        ("userName eq (", "Invalid filter: '(' is not a value (quote strings)"),
        ('userName eq "\\q"', "Invalid filter: bad string literal"),
        ('a..b eq "x"', "Invalid attribute path 'a..b'"),
        ("1a pr", "Invalid attribute path '1a'"),
        ('emails[type eq "w"].1 eq "x"', "Invalid attribute path '1'"),
        ("a" * 1001 + " pr", "Attribute path is too long"),
        ('userName eq "' + "x" * 9987 + '"', "Filter is too long"),
    ],
)
def test_a_malformed_filter_is_invalid_filter_with_a_detail(text: str, detail: str) -> None:
    """RFC 7644 section 3.4.2.2 gives the grammar; section 3.12: "The specified filter syntax
    was invalid" is 400 invalidFilter. Miro's ``detail`` explains the refusal."""
    assert refusal(text) == (400, "invalidFilter", detail)


def test_the_limits_take_their_boundary() -> None:
    """A filter of 10,000 characters, a path of 1,000 and 50 levels of nesting are accepted;
    one more of each is refused (above)."""
    text = 'userName eq "' + "x" * 9986 + '"'
    assert len(text) == 10_000
    assert isinstance(parse_filter(text), Compare)
    assert parse_filter("a" * 1000 + " pr") == Present(AttrPath(None, "a" * 1000, None))
    assert isinstance(parse_filter('userName eq "x"   '), Compare)


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("(" * 50 + "a pr" + ")" * 50, True),
        ("(" * 51 + "a pr" + ")" * 51, False),
        ("not " * 50 + "a pr", True),
        ("not " * 51 + "a pr", False),
        ("a[" * 50 + "b pr" + "]" * 50, True),
        ("a[" * 51 + "b pr" + "]" * 51, False),
        ("not (" * 25 + "a pr" + ")" * 25, True),
        ("not (" * 26 + "a pr" + ")" * 26, False),
        # Depth is nesting, not length: side by side, any number is fine.
        (" and ".join(["(a pr)"] * 60), True),
        (" or ".join(["not a pr"] * 60), True),
        (" and ".join(['e[type eq "w"]'] * 60), True),
        # A value path, a "not" and parentheses give their level back when they close: 50
        # more levels fit after them, 51 do not.
        ("e[a pr] and " + "(" * 50 + "a pr" + ")" * 50, True),
        ("e[a pr] and " + "(" * 51 + "a pr" + ")" * 51, False),
        ("not a pr and " + "(" * 50 + "a pr" + ")" * 50, True),
        ("not a pr and " + "(" * 51 + "a pr" + ")" * 51, False),
        ("(a pr) and " + "(" * 50 + "a pr" + ")" * 50, True),
        ("(a pr) and " + "(" * 51 + "a pr" + ")" * 51, False),
    ],
)
def test_nesting_is_limited_to_50_levels(text: str, ok: bool) -> None:
    """Parentheses, ``not`` and value-path brackets nest; 50 levels are accepted, more is a 400
    invalidFilter (not a crash)."""
    if ok:
        parse_filter(text)
    else:
        assert refusal(text) == (400, "invalidFilter", "Filter is nested more than 50 levels deep")


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ('a EQ "x"', Compare(AttrPath(None, "a", None), "eq", "x")),
        ("A.B PR", Present(AttrPath(None, "a", "b"))),
        ("a eq TRUE", Compare(AttrPath(None, "a", None), "eq", True)),
        ("a eq False", Compare(AttrPath(None, "a", None), "eq", False)),
        ("a eq NULL", Compare(AttrPath(None, "a", None), "eq", None)),
        ("a gt -12", Compare(AttrPath(None, "a", None), "gt", -12)),
        ("a lt 1.5", Compare(AttrPath(None, "a", None), "lt", 1.5)),
        ("a le -1.5E3", Compare(AttrPath(None, "a", None), "le", -1500.0)),
        ("a ge 2.5e-1", Compare(AttrPath(None, "a", None), "ge", 0.25)),
        ('a eq "q\\"t"', Compare(AttrPath(None, "a", None), "eq", 'q"t')),
        (
            f'{ENT}:Manager.Value eq "1"',
            Compare(AttrPath(ENT.lower(), "manager", "value"), "eq", "1"),
        ),
        (
            "a pr AND b pr OR NOT c pr",
            Or(
                And(Present(AttrPath(None, "a", None)), Present(AttrPath(None, "b", None))),
                Not(Present(AttrPath(None, "c", None))),
            ),
        ),
        (
            "a pr and (b pr or c pr)",
            And(
                Present(AttrPath(None, "a", None)),
                Or(Present(AttrPath(None, "b", None)), Present(AttrPath(None, "c", None))),
            ),
        ),
        (
            'emails[type eq "work"]',
            ValuePath(
                AttrPath(None, "emails", None), Compare(AttrPath(None, "type", None), "eq", "work")
            ),
        ),
        (
            'emails[type eq "work"].Value SW "a"',
            ValuePath(
                AttrPath(None, "emails", None),
                Compare(AttrPath(None, "type", None), "eq", "work"),
                "value",
                "sw",
                "a",
            ),
        ),
        (
            'emails[type eq "work"].display pr',
            ValuePath(
                AttrPath(None, "emails", None),
                Compare(AttrPath(None, "type", None), "eq", "work"),
                "display",
                "pr",
                None,
            ),
        ),
    ],
)
def test_the_parse_tree(text: str, tree: Any) -> None:
    """RFC 7644 section 3.4.2.2: attribute names and operators are case-insensitive; ``and``
    binds tighter than ``or``, ``not`` and parentheses group; literals are JSON (strings,
    numbers, true, false, null); the core schema URN may prefix an attribute (section 3.10)."""
    assert parse_filter(text, (USER_SCHEMA,)) == tree


@pytest.mark.parametrize("urn", [ENT.upper(), "URN:" + ENT[4:], "Urn:" + ENT[4:].lower()])
def test_a_schema_urn_in_any_case_prefixes_an_attribute(urn: str) -> None:
    """RFC 7644 section 3.4.2.2: "Attribute names and attribute operators used in filters are
    case insensitive", a fully qualified name included (section 3.10); RFC 8141 section 3.1
    (https://datatracker.ietf.org/doc/html/rfc8141#section-3.1): the leading "urn:" is
    case-insensitive too."""
    assert parse_filter(f'{urn}:DEPARTMENT eq "it"') == Compare(
        AttrPath(ENT.lower(), "department", None), "eq", "it"
    )
    assert hit(f'{urn}:department eq "IT"', USER)
    core = "URN:" + USER_SCHEMA[4:].upper()
    assert parse_filter(f'{core}:userName eq "x"', (USER_SCHEMA,)) == Compare(
        AttrPath(None, "username", None), "eq", "x"
    )


def test_paths_print_as_written_lower_case() -> None:
    assert str(parse_path(f"{ENT}:manager.value")) == f"{ENT.lower()}:manager.value"
    assert str(parse_path("name.givenName")) == "name.givenname"
    assert str(parse_path("userName")) == "username"
    assert parse_path(f"{USER_SCHEMA}:userName", (USER_SCHEMA.lower(),)).urn is None


# ---------------------------------------------------------------- evaluation

USER: dict[str, Any] = {
    "id": "3074457345600000001",
    "externalId": "true",
    "userName": "ann@contoso.com",
    "displayName": "Ann Lee",
    "title": "",
    "active": False,
    "score": 7,
    "emails": [
        {"value": "ann@contoso.com", "type": "work", "primary": True},
        {"value": "ann@home.example", "type": "home", "primary": False},
        {"type": "other"},
    ],
    "photos": [{"value": "https://x.example/Ann.png", "type": "photo"}],
    "roles": [],
    ENT: {"department": "IT", "manager": {"value": "42"}},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # pr: an empty string, list or object is no value; false is a value.
        ("title pr", False),
        ("roles pr", False),
        ("active pr", True),
        ("nickName pr", False),
        ("emails.display pr", False),
        ("emails.type pr", True),
        # eq/ne null: absent, or present.
        ("nickName eq null", True),
        ("displayName eq null", False),
        ("displayName ne null", True),
        ("nickName ne null", False),
        ('displayName ne "ann lee"', False),
        ('displayName ne "bob"', True),
        ("score gt null", False),
        # Booleans: equality only, with Entra's "True"/"False" strings.
        ("active eq false", True),
        ('active eq "False"', True),
        ('active eq "false"', True),
        ("active eq true", False),
        ("active ne true", True),
        ("active eq 0", False),
        ('active eq "no"', False),
        ("active le false", False),
        # A boolean literal against a string compares as JSON text.
        ("externalId eq true", True),
        ("externalId eq false", False),
        # Numbers compare as numbers, not text; a boolean literal is not a number.
        ("score eq 7", True),
        ("score eq 7.0", True),
        ("score gt 10", False),
        ("score lt 10", True),
        ("score ge 7", True),
        ("score le 6", False),
        ("score co 7", False),
        ("score eq true", False),
        ('score eq "7"', True),
        # Strings: case-insensitive unless caseExact (id, externalId, photos.value).
        ('displayName co "N L"', True),
        ('displayName sw "ANN"', True),
        ('displayName ew "LEE"', True),
        ('displayName sw "Lee"', False),
        ('displayName ew "Ann"', False),
        ('displayName co "bob"', False),
        ('externalId eq "TRUE"', False),
        ('photos.value eq "https://x.example/ann.png"', False),
        ('photos.value eq "https://x.example/Ann.png"', True),
        ('photos[type eq "PHOTO"].value eq "https://x.example/ann.png"', False),
        ('photos[type eq "photo"].value co "Ann"', True),
        # Multi-valued: any value; a complex one compares on its "value".
        ('emails eq "ANN@HOME.EXAMPLE"', True),
        ('emails.value ew ".example"', True),
        ('emails ne "ann@contoso.com"', False),
        # The enterprise extension, by its URN, any case.
        (f'{ENT}:department eq "it"', True),
        (f'{ENT}:manager.value eq "42"', True),
        (f"{ENT}:manager pr", True),
        ('urn:example:other:department eq "it"', False),
    ],
)
def test_operators_on_each_kind_of_value(text: str, expected: bool) -> None:
    """RFC 7644 section 3.4.2.2: eq ne co sw ew gt ge lt le pr; "pr" is true if the attribute
    has a non-empty value; booleans and null compare only for equality; strings compare with
    the attribute's caseExact (RFC 7643 section 2.2: id, externalId and reference URLs are
    caseExact); a multi-valued complex attribute without a sub-attribute compares on "value"."""
    assert hit(text, USER) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('emails[type eq "work"]', True),
        ('emails[type eq "fax"]', False),
        ('emails[type eq "work" and primary eq true]', True),
        ('emails[type eq "home" and primary eq true]', False),
        ('emails[type eq "home" or primary eq true]', True),
        ('emails[not (type eq "work")].value eq "ann@home.example"', True),
        ('emails[type eq "work"].value eq "ann@contoso.com"', True),
        ('emails[type eq "work"].value eq "ANN@Contoso.com"', True),
        ('emails[type eq "work"].nope eq "x"', False),
        ('emails[type eq "home"].value eq "ann@contoso.com"', False),
        ('emails[type eq "other"].value pr', False),
        ('emails[type eq "other"] pr', False),
        ('emails[type eq "home"] pr', True),
        ("emails[type pr].primary eq false", True),
        ('emails[value ew "contoso.com"].type eq "work"', True),
        ('emails[type eq "work"].type ne "work"', False),
        # Not a list: one object is one value; a string is none.
        ('name[givenName eq "ann"]', True),
        ('name[givenName eq "bob"]', False),
        ("displayName[value pr]", False),
        ("nickName[value pr]", False),
        (f'{ENT}:manager[value eq "42"]', True),
        (f'{ENT}:manager[value eq "42"].value eq "42"', True),
        (f'{ENT}:manager[value eq "7"]', False),
    ],
)
def test_value_paths(text: str, expected: bool) -> None:
    """RFC 7644 section 3.4.2.2: ``attr[filter]`` matches when a value of the attribute
    satisfies the inner filter, whose attributes are the value's sub-attributes; Entra's
    ``emails[type eq "work"].value eq "x"`` compares that sub-attribute of the chosen values
    (Microsoft's SCIM guide,
    https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups)."""
    user = dict(USER, name={"givenName": "Ann"})
    assert hit(text, user) is expected


def test_and_or_not_on_value_paths_and_extension_paths() -> None:
    """RFC 7644 section 3.4.2.2: "and" needs both, "or" either, "not" the opposite."""
    yes, no = f'{ENT}:department eq "it"', 'emails[type eq "fax"]'
    assert hit(f"{yes} and {yes}", USER)
    assert not hit(f"{yes} and {no}", USER)
    assert not hit(f"{no} and {yes}", USER)
    assert hit(f"{no} or {yes}", USER)
    assert hit(f"{yes} or {no}", USER)
    assert not hit(f"{no} or {no}", USER)
    assert hit(f"not ({no})", USER) and not hit(f"not ({yes})", USER)


def test_compare_directly() -> None:
    """The comparison under the operators: a null literal never compares; a boolean only for
    equality; a number as a number; everything else as text."""
    for op in ("eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"):
        assert compare(op, "x", None, False) is False
    assert compare("eq", True, True, False) is True
    assert compare("eq", False, "FALSE", False) is True
    assert compare("ne", True, False, False) is False
    assert compare("eq", True, 1, False) is False
    assert compare("eq", 1, True, False) is False
    assert compare("ne", 1, 2, False) is False
    assert compare("eq", "Abc", "aBC", True) is False
    assert compare("eq", "Abc", "aBC", False) is True
    assert compare("co", "Abc", "BC", True) is False
    assert compare("xx", "a", "a", False) is False
    assert compare("eq", 10, "10", True) is True
    assert compare("gt", "10", 9, False) is False  # as text, "10" < "9"


@pytest.mark.parametrize(
    ("resource", "path", "values"),
    [
        ({"a": "x"}, AttrPath(None, "a", None), ["x"]),
        ({"A": "x"}, AttrPath(None, "a", None), ["x"]),
        ({"a": None}, AttrPath(None, "a", None), []),
        ({"a": [1, {"value": 2}, {"type": "t"}]}, AttrPath(None, "a", None), [1, 2]),
        ({"a": [{"b": [1, 2]}, {"B": 3}, {"c": 4}, "s"]}, AttrPath(None, "a", "b"), [1, 2, 3]),
        ({"a": {"b": None}}, AttrPath(None, "a", "b"), []),
        ({"urn:x": {"a": "y"}}, AttrPath("urn:x", "a", None), ["y"]),
        ({"URN:X": {"a": "y"}}, AttrPath("urn:x", "a", None), ["y"]),
        ({"a": "y"}, AttrPath("urn:x", "a", None), []),
    ],
)
def test_resolve_collects_the_values_a_path_names(
    resource: dict[str, Any], path: AttrPath, values: list[Any]
) -> None:
    """RFC 7644 section 3.10: ``attr.sub`` of a multi-valued attribute is that sub-attribute of
    every value; names are case-insensitive (RFC 7643 section 2.1)."""
    assert resolve(resource, path) == values


def test_get_ci_prefers_the_exact_key_then_any_case() -> None:
    assert get_ci({"username": 2, "userName": 1}, "username") == 2
    assert get_ci({"userName": 1}, "username") == 1
    assert get_ci({"userName": 1}, "title") is None
    assert get_ci(["username"], "username") is None
    assert get_ci(None, "username") is None


def test_attributes_used_lists_every_path() -> None:
    node = parse_filter('a pr and (not (b.c eq "1") or d[e pr])')
    assert attributes_used(node) == {
        AttrPath(None, "a", None),
        AttrPath(None, "b", "c"),
        AttrPath(None, "d", None),
    }


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('userName eq "x"', "x"),
        ("userName eq 5", 5),
        ('userName eq "x" and active eq true', "x"),
        ('active eq true and userName eq "x"', "x"),
        ('(active eq true and title pr) and userName eq "x"', "x"),
        ('userName ne "x"', None),
        ('userName eq "x" or active eq true', None),
        ('not (userName eq "x")', None),
        ('name.userName eq "x"', None),
        (f'{ENT}:userName eq "x"', None),
        ("userName eq 1.5", None),
        ("userName eq null", None),
        ('displayName eq "x"', None),
        ('emails[userName eq "x"]', None),
    ],
)
def test_index_lookup_finds_a_term_that_must_hold(text: str, found: Any) -> None:
    """The fake answers ``userName eq`` (Entra's matching query) from an index; the term must
    hold for every match: alone, or under ``and``, never under ``or`` or ``not``."""
    assert index_lookup(parse_filter(text), "username") == found


def test_the_indexed_queries_still_apply_the_whole_filter(scim: Scim, backend: MiroBackend) -> None:
    """Miro's GET /Users filter (https://developers.miro.com/reference/getuser): a user found by
    userName, id or externalId is returned only if the rest of the filter holds too."""
    user = scim.create_user("ann@contoso.com", externalId="E-1", displayName="Ann")
    uid = user["id"]

    def names(text: str) -> list[str]:
        response = scim.get("/Users", filter=text)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [u["userName"] for u in response.get_json()["Resources"]]

    assert names('userName eq "ANN@contoso.com" and displayName eq "ann"') == ["ann@contoso.com"]
    assert names('userName eq "ann@contoso.com" and displayName eq "bob"') == []
    assert names(f'id eq "{uid}" and active eq true') == ["ann@contoso.com"]
    assert names(f'id eq "{uid}" and active eq false') == []
    assert names('externalId eq "E-1" and displayName pr') == ["ann@contoso.com"]
    assert names('externalId eq "e-1"') == []
    assert_scim_error(scim.get("/Users", filter='userName eq "x" and'), 400, "invalidFilter")


@pytest.mark.parametrize(
    ("stored", "text", "expected"),
    [
        ("false", "externalId eq false", True),
        ("false", "externalId eq true", False),
        ("true", "externalId eq true", True),
        ("FALSE", "externalId eq false", False),
    ],
)
def test_a_boolean_literal_compares_as_its_json_text_on_a_case_exact_string(
    stored: str, text: str, expected: bool
) -> None:
    """RFC 7644 section 3.4.2.2: literals are JSON; against a string attribute, ``false`` is the
    text "false", compared with the attribute's caseExact (externalId is caseExact)."""
    assert hit(text, {"externalId": stored}) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('externalId ne "abc"', True),
        ('externalId ne "ABC"', False),
        ('not (externalId eq "abc")', True),
        ('externalId eq "abc" and displayName pr', False),
        ('displayName pr and externalId eq "abc"', False),
        ('externalId eq "abc" or displayName eq "x"', False),
        ('displayName eq "x" or externalId eq "abc"', False),
        ('displayName eq "x" or externalId eq "ABC"', True),
    ],
)
def test_case_exact_holds_under_and_or_not_and_ne(text: str, expected: bool) -> None:
    """RFC 7644 section 3.4.2.2: string comparisons honour the attribute's caseExact, whatever
    expression the comparison sits in (externalId is caseExact, RFC 7643 section 3.1)."""
    assert hit(text, {"externalId": "ABC", "displayName": "Ann"}) is expected


def test_case_exact_of_an_extension_attribute_holds_everywhere() -> None:
    """RFC 7644 section 3.4.2.2 with an extension schema's own characteristics (RFC 7643
    section 3.3): the caseExact of ``urn:...:code`` is the extension's, inside ``and``, ``or``
    and ``not`` too."""
    code = AttrInfo("code", "string", False, True, "readWrite", {})
    ext = {"urn:example:ext": {"code": code}}
    resource = {"urn:example:ext": {"code": "ABC"}, "displayName": "Ann"}

    def check(text: str) -> bool:
        return matches(parse_filter(text), resource, USER_TABLE, ext)

    term = 'urn:example:ext:code eq "abc"'
    assert not check(term)
    assert check('urn:example:ext:code eq "ABC"')
    assert not check(f"{term} and displayName pr")
    assert not check(f"displayName pr and {term}")
    assert not check(f'{term} or displayName eq "x"')
    assert not check(f'displayName eq "x" or {term}')
    assert check(f"not ({term})")
    assert matches(parse_filter(term), resource, USER_TABLE) is True  # no table: not caseExact
