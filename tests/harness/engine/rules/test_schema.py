"""The Miro gallery template and the synchronizationSchema model."""

from __future__ import annotations

import copy
import json

import pytest

from harness.engine.rules.expressions import build_expression
from harness.engine.rules.schema import (
    AttributeMapping,
    ObjectMapping,
    Schema,
    SchemaError,
    expression_text,
    flow_types,
    load_schema,
    miro_template,
)

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

# A schema in the shape GET .../jobs/{jobId}/schema returns from a tenant, written by hand:
# OData annotations, metadata, keys this harness does not know, a scoping filter, a mapping
# whose source has no expression string, and a disabled group mapping.
EXPORTED = json.loads(
    r"""
{
  "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals('0d1e')/synchronization/jobs('scim.abc.def')/schema/$entity",
  "id": "scim",
  "version": "Date:2024-05-02T10:11:12Z~###~TemplateId:scim",
  "futureTopLevelKey": {"anything": [1, 2, 3]},
  "directories": [
    {
      "id": "66e4a8cc-1b7b-435e-95f8-f06cea133828",
      "name": "Azure Active Directory",
      "discoveryDateTime": null,
      "readOnly": true,
      "version": null,
      "objects": [
        {"name": "User", "metadata": [], "supportedApis": [],
         "attributes": [{"anchor": false, "caseExact": false, "defaultValue": null, "flowNullValues": false,
                         "multivalued": false, "mutability": "ReadWrite", "name": "userPrincipalName",
                         "required": false, "type": "String", "apiExpressions": [], "metadata": [],
                         "referencedObjects": []}]}
      ]
    },
    {
      "id": "8ffa6169-f354-4751-9b77-9c00765be92d",
      "name": "customappsso",
      "discoveryDateTime": null,
      "readOnly": false,
      "version": null,
      "objects": [
        {"name": "urn:ietf:params:scim:schemas:core:2.0:User", "metadata": [], "supportedApis": [],
         "attributes": [
           {"anchor": false, "caseExact": true, "defaultValue": null, "flowNullValues": false,
            "multivalued": false, "mutability": "ReadWrite", "name": "userName", "required": true,
            "type": "String", "apiExpressions": [], "metadata": [], "referencedObjects": []},
           {"anchor": false, "caseExact": false, "defaultValue": null, "flowNullValues": false,
            "multivalued": false, "mutability": "ReadWrite", "name": "active", "required": false,
            "type": "Boolean", "apiExpressions": [], "metadata": [], "referencedObjects": []}
         ]}
      ]
    }
  ],
  "synchronizationRules": [
    {
      "@odata.type": "#microsoft.graph.synchronizationRule",
      "containerFilter": {"includedContainers": []},
      "editable": true,
      "groupFilter": {"includedGroups": []},
      "id": "6c409270-f78a-4bc6-af23-7cf3ab6482fe",
      "metadata": [{"key": "defaultSourceObjectMappings", "value": "[]"},
                   {"key": "supportsProvisionOnDemand", "value": "true"}],
      "name": "USER_OUTBOUND_USER",
      "objectMappings": [
        {
          "attributeMappings": [
            {"defaultValue": "", "exportMissingReferences": false, "flowBehavior": "FlowWhenChanged",
             "flowType": "Always", "matchingPriority": 2,
             "source": {"expression": "[mail]", "name": "mail", "parameters": [], "type": "Attribute"},
             "targetAttributeName": "emails[type eq \"work\"].value"},
            {"defaultValue": "", "exportMissingReferences": false, "flowBehavior": "FlowWhenChanged",
             "flowType": "Always", "matchingPriority": 1,
             "source": {"expression": "[userPrincipalName]", "name": "userPrincipalName", "parameters": [], "type": "Attribute"},
             "targetAttributeName": "userName"},
            {"defaultValue": "True", "exportMissingReferences": false, "flowBehavior": "FlowWhenChanged",
             "flowType": "Always", "matchingPriority": 0,
             "source": {"name": "Not", "parameters": [{"key": "source", "value": {"name": "IsSoftDeleted", "parameters": [], "type": "Attribute"}}], "type": "Function"},
             "targetAttributeName": "active"},
            {"defaultValue": "Employee", "exportMissingReferences": false, "flowBehavior": "FlowWhenChanged",
             "flowType": "ObjectAddOnly", "matchingPriority": 0, "source": null,
             "targetAttributeName": "userType"}
          ],
          "enabled": true,
          "flowTypes": "Add, Update",
          "metadata": [{"key": "Disposition", "value": "Normal"}],
          "name": "Provision Azure Active Directory Users",
          "scope": {"categoryFilterGroups": [], "inputFilterGroups": [],
                    "groups": [{"name": "Sales only", "clauses": [
                      {"operatorName": "EQUALS", "sourceOperandName": "department", "targetOperand": {"values": ["Sales"]}}]}]},
          "sourceObjectName": "User",
          "targetObjectName": "urn:ietf:params:scim:schemas:core:2.0:User"
        },
        {
          "attributeMappings": [
            {"defaultValue": "", "exportMissingReferences": false, "flowBehavior": "FlowWhenChanged",
             "flowType": "Always", "matchingPriority": 1,
             "source": {"expression": "[displayName]", "name": "displayName", "parameters": [], "type": "Attribute"},
             "targetAttributeName": "displayName"}
          ],
          "enabled": false,
          "flowTypes": "Update",
          "metadata": [],
          "name": "Provision Azure Active Directory Groups",
          "scope": null,
          "sourceObjectName": "Group",
          "targetObjectName": "urn:ietf:params:scim:schemas:core:2.0:Group"
        }
      ],
      "priority": 1,
      "sourceDirectoryName": "Azure Active Directory",
      "targetDirectoryName": "customappsso"
    }
  ]
}
"""
)


# --- the Miro template ----------------------------------------------------------------------


def test_template_has_graph_template_fields():
    t = miro_template()
    assert {
        "id",
        "applicationId",
        "default",
        "description",
        "discoverable",
        "factoryTag",
        "metadata",
        "schema",
    } <= set(t)
    assert set(t["schema"]) >= {"synchronizationRules", "directories"}


def test_template_is_a_fresh_copy_each_time():
    one = miro_template()
    one["schema"]["synchronizationRules"].clear()
    assert miro_template()["schema"]["synchronizationRules"]


def test_template_object_mappings_and_flow_types():
    schema = load_schema(miro_template()["schema"])
    users, groups = schema.user_mapping, schema.group_mapping
    assert users.name == "Synchronize Microsoft Entra users to Miro"
    assert groups.name == "Synchronize Microsoft Entra groups to Miro"
    # As the gallery ships them; the Miro tutorial tells admins to untick Add and Delete for groups.
    assert users.raw["flowTypes"] == "Add, Update, Delete"
    assert groups.raw["flowTypes"] == "Add, Update, Delete"
    assert schema.flow_types(users) == {"Add", "Update", "Delete"}
    assert users.enabled and groups.enabled
    assert users.source_object == "User" and groups.source_object == "Group"


def test_template_user_mappings():
    schema = load_schema(miro_template())
    users = schema.user_mapping
    texts = {m.target: m.expression_text for m in users.attribute_mappings}
    assert texts == {
        "userName": "[userPrincipalName]",
        "active": 'Switch([IsSoftDeleted], , "False", "True", "True", "False")',
        "displayName": "[displayName]",
        'emails[type eq "work"].value': "[mail]",
        "name.givenName": "[givenName]",
        "name.familyName": "[surname]",
        "externalId": "[mailNickname]",
        f"{ENTERPRISE}:department": "[department]",
        f"{ENTERPRISE}:employeeNumber": "[employeeId]",
    }
    assert [(m.target, m.matching_priority) for m in users.matching_mappings()] == [("userName", 1)]
    for m in users.attribute_mappings:
        assert m.raw["flowType"] == "Always"
        assert m.raw["flowBehavior"] == "FlowWhenChanged"
        assert m.raw["exportMissingReferences"] is False


def test_template_active_mapping_tree_matches_its_expression():
    schema = load_schema(miro_template())
    active = schema.user_mapping.by_target("active")
    source = active.source
    assert source["type"] == "Function" and source["name"] == "Switch"
    # As Graph's parseExpression writes trees: the empty default is left out.
    assert [p["key"] for p in source["parameters"]] == ["source", "key", "value", "key", "value"]
    tree = build_expression(source)
    assert tree.text == source["expression"]
    for deleted in (True, False):
        assert tree.evaluate({"IsSoftDeleted": deleted}) == active.expression.evaluate(
            {"IsSoftDeleted": deleted}
        )


def test_template_group_mappings():
    groups = load_schema(miro_template()).group_mapping
    texts = [(m.target, m.expression_text, m.matching_priority) for m in groups.attribute_mappings]
    assert texts == [
        ("displayName", "[displayName]", 1),
        ("externalId", "[objectId]", 0),
        ("members", "[members]", 0),
    ]


def test_template_directories():
    schema = load_schema(miro_template())
    assert [d["name"] for d in schema.raw["directories"]] == [
        "Azure Active Directory",
        "customappsso",
    ]
    target = schema.target_attributes(schema.user_mapping)
    for m in schema.user_mapping.attribute_mappings:
        assert m.target in target, m.target
    assert target["active"]["type"] == "Boolean"
    assert target["userName"]["required"] is True
    assert schema.boolean_attributes(schema.user_mapping) == {"active"}
    assert "members" in schema.target_attributes(schema.group_mapping)


def test_template_validates():
    schema = load_schema(miro_template())
    schema.validate()  # raises SchemaError naming the location
    # The gallery app ships every target object action on, for users and groups alike.
    assert schema.flow_types(schema.user_mapping) == {"Add", "Update", "Delete"}
    assert schema.flow_types(schema.group_mapping) == {"Add", "Update", "Delete"}


# --- loading a tenant export -------------------------------------------------------------------


def test_exported_schema_round_trips_unchanged():
    original = copy.deepcopy(EXPORTED)
    schema = load_schema(EXPORTED)
    schema.validate()
    assert schema.to_json() == original
    assert json.dumps(schema.to_json(), sort_keys=True) == json.dumps(original, sort_keys=True)
    # Reading the model did not mutate the caller's object either.
    assert original == EXPORTED


def test_loaded_schema_is_isolated_from_later_changes():
    data = copy.deepcopy(EXPORTED)
    schema = load_schema(data)
    data["synchronizationRules"].clear()
    assert schema.user_mapping is not None


def test_exported_schema_lookups():
    schema = load_schema(EXPORTED)
    users = schema.user_mapping
    assert users.name == "Provision Azure Active Directory Users"
    assert schema.flow_types(users) == {"Add", "Update"}
    # Matching attributes first, by matchingPriority, then the rest in schema order.
    assert [m.target for m in schema.attribute_mappings(users)] == [
        "userName",
        'emails[type eq "work"].value',
        "active",
        "userType",
    ]
    assert [m.target for m in users.matching_mappings()] == [
        "userName",
        'emails[type eq "work"].value',
    ]
    assert users.scope["groups"][0]["name"] == "Sales only"
    assert schema.case_exact_attributes(users) == {"userName"}
    assert schema.rule_of(users)["id"] == "6c409270-f78a-4bc6-af23-7cf3ab6482fe"
    groups = schema.group_mapping
    assert groups.enabled is False
    assert schema.flow_types(groups) == {"Update"}


def test_expression_text_from_tree_when_no_expression_string():
    schema = load_schema(EXPORTED)
    active = schema.user_mapping.by_target("active")
    assert "expression" not in active.source
    assert schema.expression_text(active) == "Not([IsSoftDeleted])"
    assert expression_text(active.raw) == "Not([IsSoftDeleted])"
    assert active.expression.evaluate({"IsSoftDeleted": False}) is True


def test_mapping_properties():
    users = load_schema(EXPORTED).user_mapping
    active = users.by_target("ACTIVE")
    assert active.default_value == "True"
    assert users.by_target("userName").default_value is None  # "" means no default
    user_type = users.by_target("userType")
    assert user_type.flow_type == "ObjectAddOnly"
    assert not user_type.is_mapped
    assert users.by_target("nope") is None


def test_load_accepts_a_template_wrapper():
    schema = load_schema({"id": "miro", "schema": miro_template()["schema"]})
    assert schema.user_mapping is not None


# --- flow types ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Add, Update, Delete", {"Add", "Update", "Delete"}),
        ("Update", {"Update"}),
        ("add,update", {"Add", "Update"}),
        ("", set()),
        ("None", set()),
        (["Add", "Delete"], {"Add", "Delete"}),
        (None, {"Add", "Update", "Delete"}),
    ],
)
def test_flow_types(value, expected):
    assert flow_types({"flowTypes": value}) == expected


def test_unknown_flow_type():
    with pytest.raises(SchemaError, match="unknown flow type 'Create'"):
        flow_types({"flowTypes": "Create, Update"})


# --- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "location"),
    [
        ("nope", ""),
        ({"synchronizationRules": {}}, "synchronizationRules"),
        ({"directories": "x"}, "directories"),
        ({"synchronizationRules": ["x"]}, "synchronizationRules[0]"),
        (
            {"synchronizationRules": [{"objectMappings": "x"}]},
            "synchronizationRules[0].objectMappings",
        ),
        (
            {"synchronizationRules": [{"objectMappings": [{"attributeMappings": 3}]}]},
            "synchronizationRules[0].objectMappings[0].attributeMappings",
        ),
    ],
)
def test_load_rejects_non_schemas(data, location):
    with pytest.raises(SchemaError) as info:
        load_schema(data)
    assert info.value.location == location


def _with_user_mapping_change(change) -> Schema:
    data = copy.deepcopy(EXPORTED)
    change(data["synchronizationRules"][0]["objectMappings"][0])
    return load_schema(data)


def test_validate_names_a_bad_expression():
    def bad(mapping):
        mapping["attributeMappings"][0]["source"]["expression"] = 'Append([mail], "x"'

    with pytest.raises(SchemaError) as info:
        _with_user_mapping_change(bad).validate()
    assert (
        info.value.location
        == "synchronizationRules[0].objectMappings[0].attributeMappings[0].source"
    )
    assert "not closed" in info.value.message


def test_validate_names_a_bad_scope_and_flow_type():
    def bad_scope(mapping):
        mapping["scope"]["groups"][0]["clauses"][0]["operatorName"] = "LIKE"

    with pytest.raises(SchemaError, match=r"scope.*unknown scoping filter operator"):
        _with_user_mapping_change(bad_scope).validate()

    def bad_flow(mapping):
        mapping["attributeMappings"][0]["flowType"] = "Sometimes"

    with pytest.raises(SchemaError, match="unknown flowType 'Sometimes'"):
        _with_user_mapping_change(bad_flow).validate()

    def bad_types(mapping):
        mapping["flowTypes"] = "Add, Explode"

    with pytest.raises(SchemaError, match="flowTypes"):
        _with_user_mapping_change(bad_types).validate()

    def no_target(mapping):
        mapping["attributeMappings"][0]["targetAttributeName"] = ""

    with pytest.raises(SchemaError, match="targetAttributeName is missing"):
        _with_user_mapping_change(no_target).validate()


def test_odd_mapping_values_fall_back_to_defaults():
    odd = AttributeMapping({"targetAttributeName": "x", "matchingPriority": "high", "source": None})
    assert odd.matching_priority == 0
    assert odd.flow_behavior == "FlowWhenChanged"
    assert odd.flow_type == "Always"
    with pytest.raises(SchemaError, match="no source"):
        _ = odd.expression
    mapping = ObjectMapping(
        {"flowTypes": "Delete", "attributeMappings": [{"targetAttributeName": "x"}, "junk"]}
    )
    assert mapping.flow_types == {"Delete"}
    assert len(mapping.attribute_mappings) == 1
    assert mapping.enabled


def test_schema_without_directories_or_mappings():
    schema = load_schema(
        {"synchronizationRules": [{"name": "r", "objectMappings": [{"sourceObjectName": "User"}]}]}
    )
    users = schema.user_mapping
    assert schema.target_attributes(users) == {}
    assert schema.case_exact_attributes(users) == set()
    assert schema.group_mapping is None
    assert schema.directory("nope") is None
    assert list(schema) == [users]
    with pytest.raises(SchemaError, match="an objectMapping must be an object"):
        load_schema({"synchronizationRules": [{"objectMappings": ["x"]}]})


def test_validate_rejects_unwritable_or_conflicting_target_paths():
    def odd(mapping):
        mapping["attributeMappings"][0]["targetAttributeName"] = "not a path!"

    with pytest.raises(SchemaError, match="not a SCIM attribute path") as info:
        _with_user_mapping_change(odd).validate()
    assert info.value.location.endswith("attributeMappings[0].targetAttributeName")

    def conflict(mapping):
        # attributeMappings[0] targets emails[type eq "work"].value already.
        mapping["attributeMappings"][1]["targetAttributeName"] = "emails.value"

    with pytest.raises(SchemaError, match="conflicts"):
        _with_user_mapping_change(conflict).validate()
