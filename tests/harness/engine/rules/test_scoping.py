"""Scoping filters. Semantics from Microsoft Learn "Scoping users or groups to be provisioned
with scoping filters": clauses AND-ed, filters OR-ed, null/empty → false."""

from __future__ import annotations

import pytest

from harness.engine.rules.scoping import (
    ScopeError,
    ScopeResult,
    canonical_operator,
    evaluate_scope,
    operator_definitions,
    validate_scope,
)


def clause(attr: str, op: str, *values: str) -> dict:
    out: dict = {"sourceOperandName": attr, "operatorName": op}
    if values:
        out["targetOperand"] = {"values": list(values)}
    return out


def scope(*groups: list[dict], names: list[str] | None = None) -> dict:
    return {
        "groups": [
            {"name": (names or [f"f{i}" for i in range(len(groups))])[i], "clauses": clauses}
            for i, clauses in enumerate(groups)
        ],
        "inputFilterGroups": [],
        "categoryFilterGroups": [],
    }


def in_scope(clauses: list[dict], source: dict) -> bool:
    return evaluate_scope(scope(clauses), source).in_scope


# --- each operator --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "values", "attr_value", "expected"),
    [
        ("EQUALS", ["Sales"], "Sales", True),
        ("EQUALS", ["Sales"], "sales", False),  # case sensitive
        ("EQUALS", ["Sales"], "Sales Team", False),
        ("NOT EQUALS", ["Sales"], "Marketing", True),
        ("NOT EQUALS", ["Sales"], "Sales", False),
        ("NOT EQUALS", ["Sales"], "sales", True),  # case sensitive
        ("IS TRUE", [], True, True),
        ("IS TRUE", [], False, False),
        ("IS TRUE", [], "true", True),
        ("IS FALSE", [], False, True),
        ("IS FALSE", [], True, False),
        ("IS FALSE", [], "False", True),
        ("IS NULL", [], None, True),
        ("IS NULL", [], "", True),
        ("IS NULL", [], "x", False),
        ("IS NOT NULL", [], "x", True),
        ("IS NOT NULL", [], None, False),
        ("IS NOT NULL", [], "", False),
        ("REGEX MATCH", [r".*\@domain.com"], "ann@domain.com", True),
        ("REGEX MATCH", [r".*\@domain.com"], "ann@other.com", False),
        ("REGEX MATCH", ["([1-9][0-9])"], "42", True),
        ("REGEX MATCH", ["(1[0-9][0-9][0-9][0-9][0-9][0-9])"], "1500000", True),
        ("REGEX MATCH", ["(1[0-9][0-9][0-9][0-9][0-9][0-9])"], "999999", False),
        ("REGEX MATCH", ["^ann"], "Ann", False),  # case sensitive
        ("NOT REGEX MATCH", [r".*\@domain.com"], "ann@other.com", True),
        ("NOT REGEX MATCH", [r".*\@domain.com"], "ann@domain.com", False),
        ("Greater_Than", ["1000000"], "1500000", True),
        ("Greater_Than", ["1000000"], "1000000", False),
        ("Greater_Than", ["10"], 11, True),
        ("Greater_Than", ["10"], "eleven", False),  # not an integer
        ("Greater_Than_OR_EQUALS", ["10"], "10", True),
        ("Greater_Than_OR_EQUALS", ["10"], "9", False),
        ("Less_Than", ["2000000"], "1999999", True),
        ("Less_Than", ["2000000"], "2000000", False),
        ("Less_Than_OR_EQUALS", ["10"], "10", True),
        ("Less_Than_OR_EQUALS", ["10"], "11", False),
        ("Includes", ["eng"], "Engineering", False),  # case sensitive
        ("Includes", ["ngin"], "Engineering", True),
        ("ENDS_WITH", ["@contoso.com"], "ann@contoso.com", True),
        ("ENDS_WITH", ["@contoso.com"], "ann@contoso.com.evil", False),
        ("&", ["Sales,Marketing"], "Sales", True),
        ("&", ["Sales,Marketing"], "Legal", False),
        ("!&", ["Sales,Marketing"], "Legal", True),
        ("!&", ["Sales,Marketing"], "Sales", False),
    ],
)
def test_operator(op, values, attr_value, expected):
    assert in_scope([clause("attr", op, *values)], {"attr": attr_value}) is expected


@pytest.mark.parametrize(
    "op",
    [
        "EQUALS",
        "NOT EQUALS",
        "IS TRUE",
        "IS FALSE",
        "REGEX MATCH",
        "NOT REGEX MATCH",
        "Greater_Than",
        "Greater_Than_OR_EQUALS",
        "Less_Than",
        "Less_Than_OR_EQUALS",
        "Includes",
        "ENDS_WITH",
        "&",
        "!&",
    ],
)
@pytest.mark.parametrize("missing", [None, "", "absent"])
def test_null_or_empty_attribute_fails_every_clause_but_is_null(op, missing):
    source = {} if missing == "absent" else {"attr": missing}
    assert in_scope([clause("attr", op, "x" if "Than" not in op else "1")], source) is False


def test_not_regex_match_is_false_for_null():
    # Explicitly documented for NOT REGEX MATCH.
    result = evaluate_scope(scope([clause("upn", "NOT REGEX MATCH", ".*@x.com")]), {})
    assert not result.in_scope
    assert "null or empty" in result.reason


def test_multi_valued_attributes_cannot_be_filtered():
    result = evaluate_scope(
        scope([clause("proxyAddresses", "Includes", "smtp")]), {"proxyAddresses": ["smtp:a"]}
    )
    assert not result.in_scope
    assert "multi-valued" in result.reason


def test_attribute_names_are_case_insensitive():
    assert in_scope([clause("Department", "EQUALS", "Sales")], {"department": "Sales"})


def test_boolean_attribute_equals_its_dotnet_string():
    assert in_scope([clause("accountEnabled", "EQUALS", "True")], {"accountEnabled": True})


def test_several_values_in_the_operand():
    assert in_scope([clause("d", "EQUALS", "A", "B")], {"d": "B"})
    assert not in_scope([clause("d", "NOT EQUALS", "A", "B")], {"d": "B"})


# --- AND / OR --------------------------------------------------------------------------------


def test_clauses_in_one_filter_are_and_ed():
    # The documented example: New York, Engineering, employee id in range, job title set.
    clauses = [
        clause("state", "EQUALS", "New York"),
        clause("department", "EQUALS", "Engineering"),
        clause("employeeId", "Greater_Than_OR_EQUALS", "1000000"),
        clause("employeeId", "Less_Than_OR_EQUALS", "2000000"),
        clause("jobTitle", "IS NOT NULL"),
    ]
    user = {
        "state": "New York",
        "department": "Engineering",
        "employeeId": "1500000",
        "jobTitle": "Dev",
    }
    assert in_scope(clauses, user)
    assert not in_scope(clauses, {**user, "jobTitle": None})
    assert not in_scope(clauses, {**user, "employeeId": "2500000"})
    assert not in_scope(clauses, {**user, "state": "Ohio"})


def test_filters_are_or_ed_and_the_reason_names_them():
    s = scope(
        [clause("department", "EQUALS", "Sales")],
        [clause("department", "EQUALS", "Marketing"), clause("country", "EQUALS", "US")],
        names=["Sales", "US marketing"],
    )
    assert evaluate_scope(s, {"department": "Sales"}) == ScopeResult(
        True, "passed scoping filter 'Sales'", "Sales"
    )
    result = evaluate_scope(s, {"department": "Marketing", "country": "US"})
    assert result.in_scope and result.matched_group == "US marketing"
    result = evaluate_scope(s, {"department": "Marketing", "country": "FR"})
    assert not result.in_scope
    assert (
        "'Sales': department EQUALS ['Sales'] is false (department = 'Marketing')" in result.reason
    )
    assert "'US marketing': country EQUALS ['US'] is false (country = 'FR')" in result.reason


def test_no_scope_means_everything_is_in_scope():
    assert evaluate_scope(None, {}).in_scope
    assert evaluate_scope({}, {}).in_scope
    assert evaluate_scope({"groups": []}, {}).in_scope
    assert bool(evaluate_scope(None, {})) is True


def test_empty_filter_group_passes():
    assert evaluate_scope({"groups": [{"name": "all", "clauses": []}]}, {}).in_scope


def test_input_filter_groups_are_not_evaluated():
    s = {
        "groups": [],
        "inputFilterGroups": [{"name": "x", "clauses": [clause("a", "EQUALS", "b")]}],
    }
    assert evaluate_scope(s, {"a": "c"}).in_scope


# --- operator names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("EQUALS", "EQUALS"),
        ("equals", "EQUALS"),
        ("NOT EQUALS", "NOT EQUALS"),
        ("NOTEQUALS", "NOT EQUALS"),
        ("Not_Equals", "NOT EQUALS"),
        ("ISTRUE", "IS TRUE"),
        ("IS_NOT_NULL", "IS NOT NULL"),
        ("REGEXMATCH", "REGEX MATCH"),
        ("GreaterThan", "Greater_Than"),
        ("GREATER_THAN_OR_EQUALS", "Greater_Than_OR_EQUALS"),
        ("includes", "Includes"),
        ("EndsWith", "ENDS_WITH"),
        ("IsMemberOf", "IS MEMBER OF"),
    ],
)
def test_operator_aliases(spelling, canonical):
    assert canonical_operator(spelling) == canonical


def test_unknown_operator_is_a_clear_error():
    with pytest.raises(ScopeError, match="unknown scoping filter operator 'STARTS_WITH'"):
        canonical_operator("STARTS_WITH")
    with pytest.raises(
        ScopeError, match="filter 'Sales', clause 2: unknown scoping filter operator 'LIKE'"
    ):
        validate_scope(
            scope([clause("a", "EQUALS", "x"), clause("b", "LIKE", "y")], names=["Sales"])
        )
    with pytest.raises(ScopeError, match="unknown scoping filter operator"):
        evaluate_scope(scope([clause("a", "LIKE", "x")]), {"a": "x"})


# --- validation ------------------------------------------------------------------------------


def test_validate_accepts_a_good_scope():
    good = scope([clause("department", "EQUALS", "Sales"), clause("jobTitle", "IS NOT NULL")])
    validate_scope(None)
    validate_scope(good)  # raises if it refuses
    assert evaluate_scope(good, {"department": "Sales", "jobTitle": "Rep"}).in_scope


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("nope", "scope must be an object"),
        ({"groups": "x"}, "must be a list"),
        ({"groups": ["x"]}, "must be an object"),
        ({"groups": [{"clauses": "x"}]}, "clauses must be a list"),
        (
            scope([{"operatorName": "EQUALS", "targetOperand": {"values": ["x"]}}]),
            "sourceOperandName is missing",
        ),
        (scope([{"sourceOperandName": "a"}]), "operatorName is missing"),
        (scope([clause("a", "EQUALS")]), "needs a value"),
        (scope([clause("a", "Greater_Than", "ten")]), "compares integers"),
        (scope([clause("a", "REGEX MATCH", "(")]), "invalid regular expression"),
        (scope([clause("a", "IS MEMBER OF", "g1")]), "not supported"),
        (
            {
                "groups": [
                    {
                        "clauses": [
                            {
                                "sourceOperandName": "a",
                                "operatorName": "EQUALS",
                                "targetOperand": "x",
                            }
                        ]
                    }
                ]
            },
            "targetOperand",
        ),
    ],
)
def test_validate_rejects_bad_scopes(bad, message):
    with pytest.raises(ScopeError, match=message):
        validate_scope(bad)


def test_member_of_when_allowed():
    s = scope([clause("memberOf", "IS MEMBER OF", "g1")])
    validate_scope(s, allow_member_of=True)
    assert evaluate_scope(s, {"memberOf": [{"id": "g1", "displayName": "Design"}]}).in_scope
    assert not evaluate_scope(s, {"memberOf": ["g2"]}).in_scope
    assert evaluate_scope(scope([clause("memberOf", "IS NOT MEMBER OF", "g1")]), {}).in_scope


def test_operator_definitions_in_graph_shape():
    documented = {d["name"]: d for d in operator_definitions()}
    assert set(documented) == {
        "&",
        "!&",
        "ENDS_WITH",
        "EQUALS",
        "Greater_Than",
        "Greater_Than_OR_EQUALS",
        "Includes",
        "IS FALSE",
        "IS NOT NULL",
        "IS NULL",
        "IS TRUE",
        "NOT EQUALS",
        "NOT REGEX MATCH",
        "REGEX MATCH",
    }
    # The one documented filterOperators entry.
    assert documented["EQUALS"] == {
        "name": "EQUALS",
        "arity": "Binary",
        "multivaluedComparisonType": "All",
        "supportedAttributeTypes": ["String", "Integer"],
    }
    assert documented["IS NULL"]["arity"] == "Unary"
    everything = {d["name"] for d in operator_definitions(include_undocumented=True)}
    assert {"Less_Than", "Less_Than_OR_EQUALS", "IS MEMBER OF", "IS NOT MEMBER OF"} <= everything


def test_evaluate_rejects_a_malformed_scope():
    with pytest.raises(ScopeError, match="must be a list"):
        evaluate_scope({"groups": "x"}, {})
    assert evaluate_scope({"groups": None}, {}).in_scope
    with pytest.raises(ScopeError, match="a clause must be an object"):
        validate_scope({"groups": [{"clauses": ["x"]}]})
    # A single string operand is read as one value.
    s = {
        "groups": [
            {
                "clauses": [
                    {
                        "sourceOperandName": "a",
                        "operatorName": "EQUALS",
                        "targetOperand": {"values": "x"},
                    }
                ]
            }
        ]
    }
    validate_scope(s)
    assert evaluate_scope(s, {"a": "x"}).in_scope
    # A null filter group list in inputFilterGroups is fine.
    validate_scope({"groups": [], "inputFilterGroups": None})


def test_an_unvalidated_bad_regex_is_a_scope_error():
    with pytest.raises(ScopeError, match="invalid regular expression"):
        evaluate_scope(scope([clause("a", "REGEX MATCH", "(")]), {"a": "x"})


# --- what the mutation run found unpinned (docs/testing.md, "Mutation testing") --------------
# Microsoft Learn, "Scoping users or groups to be provisioned with scoping filters"
# (https://learn.microsoft.com/en-us/entra/identity/app-provisioning/define-conditional-rules-for-provisioning-user-accounts),
# and Graph's filter resource: groups, inputFilterGroups, categoryFilterGroups
# (https://learn.microsoft.com/en-us/graph/api/resources/synchronization-filter).


def test_validate_accepts_the_documented_integer_range():
    # The page's example: employeeId between 1,000,000 and 2,000,000 (a refusal would raise).
    assert (
        validate_scope(
            scope(
                [
                    clause("employeeId", "Greater_Than_OR_EQUALS", "1000000"),
                    clause("employeeId", "Less_Than_OR_EQUALS", "2000000"),
                ]
            )
        )
        is None
    )


@pytest.mark.parametrize("op", ["Less_Than", "Less_Than_OR_EQUALS", "Greater_Than_OR_EQUALS"])
def test_validate_refuses_a_non_integer_for_every_integer_operator(op):
    with pytest.raises(ScopeError, match=f"^filter 'f0', clause 1: {op} compares integers"):
        validate_scope(scope([clause("employeeId", op, "ten")]))


@pytest.mark.parametrize("key", ["inputFilterGroups", "categoryFilterGroups"])
def test_validate_checks_the_experimental_filter_group_lists_too(key):
    with pytest.raises(ScopeError, match=f"^scope.{key} must be a list of filter groups$"):
        validate_scope({"groups": [], key: "x"})
    # A null groups list does not stop the check of the lists after it.
    with pytest.raises(ScopeError, match=f"^scope.{key} must be a list"):
        validate_scope({"groups": None, key: "x"})


def test_validate_errors_name_the_whole_problem():
    with pytest.raises(ScopeError, match=r"^scope must be an object with 'groups'$"):
        validate_scope(["groups"])  # type: ignore[arg-type]
    # Unnamed filter groups are numbered from 1.
    unnamed = {
        "groups": [
            {"clauses": [clause("a", "EQUALS", "x")]},
            {"clauses": [clause("b", "EQUALS")]},
        ]
    }
    with pytest.raises(ScopeError, match=r"^filter 2, clause 1: EQUALS needs a value"):
        validate_scope(unnamed)
    with pytest.raises(ScopeError, match=r"^filter 1, clause 1: sourceOperandName is missing$"):
        validate_scope({"groups": [{"clauses": [{"operatorName": "IS NULL"}]}]})


def test_a_bad_regex_names_the_pattern():
    with pytest.raises(
        ScopeError,
        match=r"^filter 1, clause 1: invalid regular expression '\(': .*at position 0\)$",
    ):
        validate_scope({"groups": [{"clauses": [clause("a", "REGEX MATCH", "(")]}]})
    with pytest.raises(ScopeError, match=r"^invalid regular expression '\(': .*at position 0\)$"):
        evaluate_scope(scope([clause("a", "NOT REGEX MATCH", "(")]), {"a": "x"})


def test_an_unknown_operator_lists_the_supported_ones():
    with pytest.raises(ScopeError) as info:
        canonical_operator("LIKE")
    assert str(info.value) == (
        "unknown scoping filter operator 'LIKE'; supported: !&, &, ENDS_WITH, EQUALS, "
        "Greater_Than, Greater_Than_OR_EQUALS, IS FALSE, IS MEMBER OF, IS NOT MEMBER OF, "
        "IS NOT NULL, IS NULL, IS TRUE, Includes, Less_Than, Less_Than_OR_EQUALS, NOT EQUALS, "
        "NOT REGEX MATCH, REGEX MATCH"
    )


def test_operator_definitions_give_each_operator_its_attribute_types():
    every = {d["name"]: d for d in operator_definitions(include_undocumented=True)}
    assert every["IS TRUE"]["supportedAttributeTypes"] == ["Boolean"]
    assert every["Greater_Than"]["supportedAttributeTypes"] == ["Integer"]
    assert every["REGEX MATCH"]["supportedAttributeTypes"] == ["String"]
    assert every["IS NULL"]["supportedAttributeTypes"] == [
        "String",
        "Integer",
        "Boolean",
        "DateTime",
    ]
    assert every["IS MEMBER OF"]["supportedAttributeTypes"] == ["Reference"]


def test_member_of_matches_group_ids_or_display_names():
    member_of = scope([clause("memberOf", "IS MEMBER OF", "Design")])
    assert evaluate_scope(member_of, {"memberOf": [{"id": "g1", "displayName": "Design"}]})
    assert evaluate_scope(member_of, {"memberOf": [None, "Design"]})
    assert not evaluate_scope(member_of, {"memberOf": [None]})
    assert evaluate_scope(scope([clause("memberOf", "IS MEMBER OF", "g1")]), {"memberOf": "g1"})
    assert not evaluate_scope(
        scope([clause("memberOf", "IS MEMBER OF", "None")]), {"memberOf": [None]}
    )


def test_the_reason_names_what_was_evaluated():
    assert evaluate_scope(None, {}).reason == "no scoping filters"
    # A unary operator shows no operand.
    unary = evaluate_scope(scope([clause("enabled", "IS TRUE")]), {"enabled": False})
    assert (
        unary.reason
        == "failed every scoping filter ('f0': enabled IS TRUE is false (enabled = 'False'))"
    )
    # An unvalidated clause without an attribute reads nothing.
    nameless = evaluate_scope(scope([{"operatorName": "IS NOT NULL"}]), {"a": "x"})
    assert nameless.reason == "failed every scoping filter ('f0':  IS NOT NULL is false ( = ''))"


def test_evaluate_errors_name_the_problem():
    with pytest.raises(ScopeError, match=r"^scope\.groups must be a list of filter groups$"):
        evaluate_scope({"groups": "x"}, {})
    with pytest.raises(ScopeError, match=r"^unknown scoping filter operator 'LIKE'; supported: !&"):
        evaluate_scope(scope([clause("a", "LIKE", "x")]), {"a": "x"})


def test_the_reason_lists_every_failed_filter_numbered_when_unnamed():
    unnamed = {
        "groups": [
            {"clauses": [clause("d", "EQUALS", "A")]},
            {"clauses": [clause("d", "EQUALS", "B")]},
        ]
    }
    assert evaluate_scope(unnamed, {"d": "C"}).reason == (
        "failed every scoping filter ('filter 1': d EQUALS ['A'] is false (d = 'C'); "
        "'filter 2': d EQUALS ['B'] is false (d = 'C'))"
    )
    assert evaluate_scope(unnamed, {"d": "B"}).matched_group == "filter 2"
    with pytest.raises(ScopeError, match=r"^targetOperand must be an object with 'values'$"):
        evaluate_scope(
            scope([{"sourceOperandName": "a", "operatorName": "EQUALS", "targetOperand": "x"}]), {}
        )
