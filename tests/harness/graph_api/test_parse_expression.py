"""``POST .../schema/parseExpression`` (the expression builder's "test" call), answered by the
engine's own parser and evaluator with Graph's request and response shapes
(https://learn.microsoft.com/en-us/graph/api/synchronization-synchronizationschema-parseexpression)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.lab.local import Lab
from harness.testing.lab_steps import ok


@pytest.fixture
def lab() -> Lab:
    with Lab(seed=47) as lab:
        yield lab


def parse(lab: Lab, body: Any, where: str | None = None) -> Any:
    path = where or f"{lab.job_path}/schema/parseExpression"
    return lab.graph_client.post(path, json=body)


# The documented request, in strict JSON (the page's sample leaves its keys unquoted).
EXAMPLE = {
    "expression": 'Replace([preferredLanguage], "-", , , "_", ,  )',
    "targetAttributeDefinition": None,
    "testInputObject": {
        "definition": None,
        "properties": [
            {"key": "objectId", "value": "66E4A8CC-1B7B-435E-95F8-F06CEA133828"},
            {"key": "IsSoftDeleted", "value": "false"},
            {"key": "accountEnabled", "value": "true"},
            {"key": "displayName", "value": "John Smith"},
            {"key": "mailNickname", "value": "johns"},
            {"key": "manager", "value": "maxs@contoso.com"},
            {"key": "preferredLanguage", "value": "EN-US"},
            {"key": "userPrincipalName", "value": "johns@contoso.com"},
            {
                "key": "appRoleAssignments",
                "value@odata.type": "#Collection(String)",
                "value": ["Default Assignment"],
            },
        ],
    },
}

# The documented response.
EXPECTED = {
    "error": None,
    "evaluationSucceeded": True,
    "evaluationResult": ["EN_US"],
    "parsedExpression": {
        "expression": 'Replace([preferredLanguage], "-", , , "_", , )',
        "name": "Replace",
        "parameters": [
            {
                "key": "source",
                "value": {
                    "expression": "[preferredLanguage]",
                    "name": "preferredLanguage",
                    "parameters": [],
                    "type": "Attribute",
                },
            },
            {
                "key": "Find",
                "value": {"expression": '"-"', "name": "-", "parameters": [], "type": "Constant"},
            },
            {
                "key": "Replacement",
                "value": {"expression": '"_"', "name": "_", "parameters": [], "type": "Constant"},
            },
        ],
        "type": "Function",
    },
    "parsingSucceeded": True,
}


def test_the_documented_example_gives_the_documented_answer(lab: Lab) -> None:
    answer = ok(parse(lab, EXAMPLE), 200).json()
    assert answer.pop("@odata.context").endswith(
        "$metadata#microsoft.graph.parseExpressionResponse"
    )
    assert answer == EXPECTED


def test_the_templates_schema_parses_too(lab: Lab) -> None:
    where = f"{lab.sync_path}/templates/miro/schema/parseExpression"
    answer = ok(parse(lab, EXAMPLE, where), 200).json()
    assert answer["evaluationResult"] == ["EN_US"]
    missing = parse(lab, EXAMPLE, f"{lab.sync_path}/templates/nope/schema/parseExpression")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ResourceNotFound"


def test_the_engines_evaluator_answers_with_its_own_rules(lab: Lab) -> None:
    body = {
        "expression": 'Switch([IsSoftDeleted], , "False", "True", "True", "False")',
        "testInputObject": {"properties": [{"key": "IsSoftDeleted", "value": "true"}]},
    }
    answer = ok(parse(lab, body), 200).json()
    assert answer["evaluationSucceeded"] is True and answer["evaluationResult"] == ["False"]
    # Without test data: parsed, not evaluated.
    answer = ok(parse(lab, {"expression": "ToLower([mail])"}), 200).json()
    assert answer["parsingSucceeded"] is True and answer["evaluationSucceeded"] is False
    assert answer["evaluationResult"] is None
    assert answer["parsedExpression"]["name"] == "ToLower"


def test_an_expression_that_does_not_parse_is_a_200_with_the_error(lab: Lab) -> None:
    answer = ok(parse(lab, {"expression": 'Join(",", [givenName]'}), 200).json()
    assert answer["parsingSucceeded"] is False and answer["parsedExpression"] is None
    assert answer["error"]["code"] == "InvalidExpression"
    assert answer["error"]["message"]
    bad_date = {
        "expression": 'FormatDateTime([hire], , "yyyyMMddHHmmss.fZ", "yyyy-MM-dd")',
        "testInputObject": {"properties": [{"key": "hire", "value": "not a date"}]},
    }
    answer = ok(parse(lab, bad_date), 200).json()
    assert answer["parsingSucceeded"] is True and answer["evaluationSucceeded"] is False
    assert answer["error"]["code"] == "ExpressionEvaluationFailed"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"expression": 5},
        {"expression": "[mail]", "testInputObject": "x"},
        {"expression": "[mail]", "targetAttributeDefinition": []},
    ],
)
def test_a_malformed_request_is_a_400_envelope(lab: Lab, body: Any) -> None:
    response = parse(lab, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] and response.json()["error"]["message"]


def test_an_unknown_job_is_a_404(lab: Lab) -> None:
    response = parse(lab, EXAMPLE, f"{lab.sync_path}/jobs/nope/schema/parseExpression")
    assert response.status_code == 404
