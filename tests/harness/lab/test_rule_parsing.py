"""The lab parses each werkzeug rule string once per process (harness.lab.rule_parsing).
Routing must behave exactly as without the patch, and the patch must step aside when
werkzeug's private API is not the one it was written for."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, url_for
from werkzeug.routing import BaseConverter, Map
from werkzeug.routing.rules import Rule

import harness.lab.local  # noqa: F401  (importing the lab applies the patch these tests check)
from harness.lab import rule_parsing
from harness.lab.rule_parsing import PARSE_METHOD, SHARED_MARK, is_shared, share_rule_parsing


def _app(name: str) -> Flask:
    app = Flask(name)

    @app.get("/items/<int:item_id>/<path:rest>")
    def item(item_id: int, rest: str) -> str:
        return f"{name} {item_id}:{rest}"

    @app.get("/codes/<string(length=2):code>")
    def code(code: str) -> str:
        return f"{name} code {code}"

    return app


def test_the_patch_is_active_with_the_installed_werkzeug() -> None:
    assert is_shared(Rule) is True
    assert share_rule_parsing() is True  # idempotent
    assert rule_parsing.parses_match(vars(Rule)[PARSE_METHOD]) is True


def test_apps_with_the_same_rules_route_build_and_refuse_alike() -> None:
    for name in ("first", "second", "third"):  # the first parses, the others replay
        app = _app(name)
        client = app.test_client()
        assert client.get("/items/7/a/b").text == f"{name} 7:a/b"
        assert client.get("/codes/ab").text == f"{name} code ab"
        assert client.get("/codes/abc").status_code == 404  # the length=2 converter of its map
        assert client.get("/items/x/a").status_code == 404  # int converter
        with app.test_request_context("/"):
            assert url_for("item", item_id=3, rest="c/d", q=1) == "/items/3/c/d?q=1"


def test_a_map_with_other_converters_parses_the_same_string_its_own_way() -> None:
    class Upper(BaseConverter):
        regex = "[A-Z]+"

    plain = Map([Rule("/x/<v:thing>", endpoint="e")], converters={"v": BaseConverter})
    upper = Map([Rule("/x/<v:thing>", endpoint="e")], converters={"v": Upper})
    assert plain.bind("h").match("/x/abc") == ("e", {"thing": "abc"})
    assert upper.bind("h").match("/x/ABC") == ("e", {"thing": "ABC"})
    with pytest.raises(Exception, match="404"):
        upper.bind("h").match("/x/abc")


def test_a_replayed_rule_gets_converters_of_its_own_map() -> None:
    first, second = (Map([Rule("/n/<int:n>", endpoint="e")]) for _ in range(2))
    rule_one, rule_two = (next(iter(m.iter_rules())) for m in (first, second))
    one, two = (getattr(r, "_converters")["n"] for r in (rule_one, rule_two))  # noqa: B009
    assert one is not two and one.map is first and two.map is second
    assert rule_two.arguments == {"n"}


def test_the_patch_does_nothing_when_the_private_api_is_missing_or_changed() -> None:
    class NoParser:
        pass

    assert share_rule_parsing(NoParser) is False
    assert not is_shared(NoParser)

    def changed(self: Any, rule: str, strict: bool = False) -> Any:
        raise AssertionError("must not be called")

    class Changed:
        _parse_rule = changed

        def get_converter(self) -> None:
            pass

    assert share_rule_parsing(Changed) is False
    assert vars(Changed)[PARSE_METHOD] is changed


def test_the_patch_is_undone_when_parses_differ(monkeypatch: pytest.MonkeyPatch) -> None:
    patched = vars(Rule)[PARSE_METHOD]
    original = next(
        cell.cell_contents
        for cell in patched.__closure__
        if getattr(cell.cell_contents, "__name__", "") == PARSE_METHOD
    )
    monkeypatch.setattr(Rule, PARSE_METHOD, original)
    monkeypatch.delattr(Rule, SHARED_MARK)
    monkeypatch.setattr(rule_parsing, "parses_match", lambda original: False)
    assert share_rule_parsing() is False
    assert vars(Rule)[PARSE_METHOD] is original
    assert not is_shared(Rule)
    monkeypatch.undo()
    assert is_shared(Rule) is True and vars(Rule)[PARSE_METHOD] is patched
