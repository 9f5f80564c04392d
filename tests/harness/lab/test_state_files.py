"""Saving and loading a whole lab (harness.lab.state_files): the fakes, the clock, the engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.lab.local import Lab
from harness.lab.state_files import (
    StateFileError,
    dump_lab_state,
    load_lab_state,
    read_state_file,
    write_json_atomically,
)
from harness.testing.lab_steps import add_group, add_member, add_user, assign, miro_user, ok


def provisioned_lab(seed: int = 3) -> Lab:
    lab = Lab(seed)
    alice, bob = add_user(lab, "alice"), add_user(lab, "bob")
    group = add_group(lab, "Designers")
    add_member(lab, group, bob)
    assign(lab, alice)
    assign(lab, group)
    ok(lab.graph_client.put(f"{lab.job_path}/schema", json=_group_schema(lab)), 204)
    lab.start()
    lab.advance("0")
    return lab


def _group_schema(lab: Lab) -> dict[str, Any]:
    """The job's schema, saved back unchanged: a schema that is not the template's object."""
    return json.loads(ok(lab.graph_client.get(f"{lab.job_path}/schema")).content)


def test_a_lab_round_trips_through_its_state() -> None:
    with provisioned_lab() as source:
        assert miro_user(source, "alice@contoso.com") is not None
        saved = json.loads(json.dumps(dump_lab_state(source)))
        with Lab(3) as copy:
            load_lab_state(copy, saved)
            assert json.loads(json.dumps(dump_lab_state(copy))) == saved
            assert copy.job() == source.job()
            assert copy.provisioning_logs() == source.provisioning_logs()
            assert (
                ok(copy.miro_client.get("/_fake/state")).json()
                == ok(source.miro_client.get("/_fake/state")).json()
            )

            # The copy goes on exactly as the original would: same incremental cycle, same ids.
            for lab in (source, copy):
                add_user(lab, "carol")
                assign(lab, ok(lab.graph_client.get("/v1.0/users/carol@contoso.com")).json()["id"])
            first, second = source.advance("40m"), copy.advance("40m")
            assert first == second and first[0]["type"] == "incremental"
            assert first[0]["counts"]["create"] == 1
            assert copy.provisioning_logs() == source.provisioning_logs()


def test_loading_repoints_urls_of_the_saved_lab() -> None:
    with Lab.served(seed=2) as source:
        add_user(source, "dora")
        assign(source, ok(source.graph_client.get("/v1.0/users/dora@contoso.com")).json()["id"])
        source.start()
        source.advance("0")
        saved = dump_lab_state(source)
    with Lab.served(seed=2) as copy:
        load_lab_state(copy, saved)
        secrets = copy.store.get_secrets(copy.service_principal_id)
        assert secrets["BaseAddress"] == copy.scim_url
        marks = copy.store.jobs[copy.job_id].runtime.watermarks
        assert marks.users is not None and marks.users.startswith(copy.graph_url + "/v1.0/")
        cycles = copy.advance("40m")
        assert cycles[0]["error"] is None and cycles[0]["state"] == "Succeeded"


def test_bad_state_is_refused_and_changes_nothing() -> None:
    with provisioned_lab() as source, Lab(3) as target:
        saved = dump_lab_state(source)
        before = dump_lab_state(target)
        with pytest.raises(StateFileError, match="not a harness state file"):
            load_lab_state(target, {"graph": {}})
        with pytest.raises(StateFileError, match="unsupported state version"):
            load_lab_state(target, {**saved, "version": 99})
        with pytest.raises(
            StateFileError, match="invalid state: engine: Input should be a valid dictionary"
        ):
            load_lab_state(target, {**saved, "engine": None})
        with pytest.raises(StateFileError, match="the Graph state cannot be loaded"):
            load_lab_state(target, {**saved, "graph": {"version": 7}})
        target.clock.advance("1d")
        with pytest.raises(StateFileError, match="earlier than this lab"):
            load_lab_state(target, saved)
        assert dump_lab_state(target)["graph"] == before["graph"]


def test_state_files_are_written_whole(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "state.json"
    write_json_atomically(path, {"a": 1})
    write_json_atomically(path, {"a": 2})
    assert read_state_file(path) == {"a": 2}
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]
    (tmp_path / "list.json").write_text("[1]")
    with pytest.raises(StateFileError, match="does not hold a JSON object"):
        read_state_file(tmp_path / "list.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(StateFileError, match="cannot read state file"):
        read_state_file(tmp_path / "broken.json")


def test_a_bad_engine_part_is_named() -> None:
    with provisioned_lab() as source, Lab(3) as target:
        saved = dump_lab_state(source)
        with pytest.raises(
            StateFileError, match="the engine state cannot be loaded: not an engine state"
        ):
            load_lab_state(target, {**saved, "engine": {"format": "nope"}})
