"""``Redact()`` in an attribute mapping: the target gets the real value, the provisioning logs
show the literal ``[Redact]`` (Microsoft's functions reference,
https://learn.microsoft.com/en-us/entra/identity/app-provisioning/functions-for-customizing-application-data#redact).
Over HTTP: the schema is PUT through Graph, the logs are read from /auditLogs/provisioning."""

from __future__ import annotations

import json

import pytest

from harness.lab.local import Lab
from harness.testing.lab_steps import (
    add_user,
    assign,
    get_schema,
    last_log,
    mapping,
    miro_user,
    ok,
    put_schema,
    started,
    update_user,
)
from harness.testing.readers import entry_modified


@pytest.fixture
def lab() -> Lab:
    with Lab(seed=31) as lab:
        schema = get_schema(lab)
        for attr in mapping(schema, "User")["attributeMappings"]:
            if attr["targetAttributeName"] == "name.familyName":
                attr["source"] = {"expression": "Redact([surname])", "type": "Function"}
        ok(put_schema(lab, schema), 204)
        yield lab


def test_a_redacted_value_reaches_the_target_but_the_logs_say_redact(lab: Lab) -> None:
    ada = add_user(lab, "ada", surname="Lovelace")
    assign(lab, ada)
    started(lab)
    assert miro_user(lab, "ada@contoso.com")["name"]["familyName"] == "Lovelace"
    created = last_log(lab, ada)
    assert created["provisioningAction"] == "create"
    assert entry_modified(created)["name.familyName"] == (None, "[Redact]")
    assert entry_modified(created)["name.givenName"] == (None, "Ada")  # others are logged
    # The source attribute read inside Redact is removed from the logs too.
    imported = created["provisioningSteps"][0]
    assert imported["details"]["surname"] == "[Redact]"
    assert "Lovelace" not in json.dumps(created)

    update_user(lab, ada, surname="King")
    lab.advance("40m")
    assert miro_user(lab, "ada@contoso.com")["name"]["familyName"] == "King"
    updated = last_log(lab, ada)
    assert updated["provisioningAction"] == "update"
    assert entry_modified(updated)["name.familyName"] == ("[Redact]", "[Redact]")
    assert "King" not in json.dumps(updated) and "Lovelace" not in json.dumps(updated)
