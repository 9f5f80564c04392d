"""The lab defers werkzeug's URL-builder compilation (harness.lab.url_builders). URL building
must behave exactly as without the patch, and the patch must step aside when werkzeug's private
API is not the one it was written for."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask, url_for
from werkzeug.routing.rules import Rule

import harness.lab.local  # noqa: F401  (importing the lab applies the patch these tests check)
from harness.lab import url_builders
from harness.lab.url_builders import COMPILE_METHOD, DEFERRED_MARK, defer_url_builders, is_deferred


def _app() -> Flask:
    app = Flask("url-builders")

    @app.get("/items/<int:item_id>/<name>")
    def item(item_id: int, name: str) -> str:
        return f"{item_id}:{name}"

    @app.get("/plain")
    def plain() -> str:
        return "plain"

    return app


def test_the_patch_is_active_with_the_installed_werkzeug() -> None:
    assert is_deferred(Rule) is True
    assert defer_url_builders() is True  # idempotent


def test_url_for_builds_arguments_and_appends_unknown_ones_as_a_query_string() -> None:
    app = _app()  # routes registered after the patch, as every lab's are
    with app.test_request_context("/"):
        assert url_for("item", item_id=7, name="a b") == "/items/7/a%20b"
        assert url_for("item", item_id=7, name="x", page=2, q="é") == "/items/7/x?page=2&q=%C3%A9"
        assert url_for("plain", tag=["a", "b"]) == "/plain?tag=a&tag=b"
        assert url_for("item", item_id=1, name="n", _external=True) == "http://localhost/items/1/n"
        # Twice: the second call uses the builder compiled and cached by the first.
        assert url_for("item", item_id=8, name="y", extra="1") == "/items/8/y?extra=1"
    with app.test_client() as client:
        assert client.get("/items/7/a%20b").text == "7:a b"


def test_an_adapter_without_unknown_arguments_drops_them() -> None:
    adapter = _app().url_map.bind("lab.local")
    assert (
        adapter.build("item", {"item_id": 3, "name": "z", "q": "1"}, append_unknown=False)
        == "/items/3/z"
    )
    assert adapter.build("item", {"item_id": 3, "name": "z", "q": "1"}) == "/items/3/z?q=1"


def test_a_builder_is_compiled_once_on_first_use() -> None:
    calls: list[bool] = []

    class FakeRule:
        """Compiles and builds the way werkzeug's Rule does."""

        def _compile_builder(self, append_unknown: bool = True) -> Any:
            calls.append(append_unknown)

            def build(self: FakeRule, **values: Any) -> str:
                return f"built {sorted(values)}"

            return build

        def compile(self) -> None:
            self._build_unknown = self._compile_builder(True).__get__(self, None)

        def build(self, **values: Any) -> Any:
            return self._build_unknown(**values)

    assert defer_url_builders(FakeRule) is True
    rule = FakeRule()
    assert calls == []  # nothing compiled when the rule is set up
    rule.compile()
    assert calls == []
    assert rule.build(a=1) == "built ['a']"
    assert rule.build(b=2) == "built ['b']"
    assert calls == [True]


def test_the_patch_does_nothing_when_the_private_api_is_missing() -> None:
    class NoBuilder:
        pass

    assert defer_url_builders(NoBuilder) is False
    assert not hasattr(NoBuilder, COMPILE_METHOD)
    assert not is_deferred(NoBuilder)


def test_the_patch_does_nothing_when_the_signature_changed() -> None:
    def changed(self: Any, append_unknown: bool, strict: bool = False) -> Any:
        raise AssertionError("must not be called")

    class Changed:
        _compile_builder = changed

    assert defer_url_builders(Changed) is False
    assert vars(Changed)[COMPILE_METHOD] is changed
    assert not is_deferred(Changed)


def test_the_patch_is_undone_when_url_building_breaks(monkeypatch: pytest.MonkeyPatch) -> None:
    original = vars(Rule)[COMPILE_METHOD]
    monkeypatch.delattr(Rule, DEFERRED_MARK)
    monkeypatch.setattr(url_builders, "url_building_works", lambda: False)
    try:
        assert defer_url_builders() is False
        assert vars(Rule)[COMPILE_METHOD] is original
        assert not is_deferred(Rule)
    finally:
        monkeypatch.undo()
    assert is_deferred(Rule) is True
