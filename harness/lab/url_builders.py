"""Werkzeug's URL *builders* compiled on first use instead of when a route is added.

Each Flask app compiles a Python builder function per route (``url_for`` support) when the route
is registered: about 80 % of the cost of creating the two fakes, spent again for every lab, for
functions the fakes rarely call. Deferring it changes no behaviour (the builder is compiled,
exactly as before, the first time a URL is built) and brings a lab from ~40 ms to under 10 ms.

This replaces ``Rule._compile_builder``, private werkzeug API, named once below. The patch is
guarded: if the method is missing or its signature has changed, or URL building does not survive
the replacement, nothing is patched (labs are just slower).
"""

from __future__ import annotations

import inspect
from typing import Any

from werkzeug.routing import Map
from werkzeug.routing.rules import Rule

# The private werkzeug method replaced, and the attributes ``Rule.compile`` stores its two
# builders in (``_build`` without unknown arguments, ``_build_unknown`` appending them).
COMPILE_METHOD = "_compile_builder"
BUILDER_ATTRIBUTES = {False: "_build", True: "_build_unknown"}
# Set on a class whose builders are deferred, so the patch is applied once per process.
DEFERRED_MARK = "_harness_lazy_builders"


def is_deferred(rule_class: type = Rule) -> bool:
    """Whether ``rule_class`` compiles its URL builders on first use."""
    return bool(getattr(rule_class, DEFERRED_MARK, False))


def defer_url_builders(rule_class: type = Rule) -> bool:
    """Make ``rule_class`` compile its URL builders on first use; answers whether it does."""
    if is_deferred(rule_class):
        return True
    original = getattr(rule_class, COMPILE_METHOD, None)
    if not callable(original):
        return False
    try:
        params = list(inspect.signature(original).parameters)
    except (TypeError, ValueError):
        return False
    if params != ["self", "append_unknown"]:
        return False

    def compile_builder(self: Any, append_unknown: bool = True) -> Any:
        attribute = BUILDER_ATTRIBUTES[bool(append_unknown)]

        def build(rule: Any, **values: Any) -> Any:
            real = original(rule, append_unknown).__get__(rule, None)
            setattr(rule, attribute, real)
            return real(**values)

        return build

    setattr(rule_class, COMPILE_METHOD, compile_builder)
    if rule_class is Rule and not url_building_works():
        setattr(rule_class, COMPILE_METHOD, original)
        return False
    setattr(rule_class, DEFERRED_MARK, True)
    return True


def url_building_works() -> bool:
    """Build URLs through a fresh werkzeug map, as ``url_for`` does, with the patch applied."""
    try:
        urls = Map([Rule("/t/<int:n>/<name>", endpoint="t")]).bind("lab.local")
        for _ in range(2):  # the first call compiles and caches, the second uses the cache
            if urls.build("t", {"n": 3, "name": "a b", "q": "x"}) != "/t/3/a%20b?q=x":
                return False
            if urls.build("t", {"n": 3, "name": "a", "q": "x"}, append_unknown=False) != "/t/3/a":
                return False
    except Exception:  # any failure of the private API means: do not patch
        return False
    return True
