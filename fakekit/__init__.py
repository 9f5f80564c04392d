"""What both fakes share: fault rules, the request journal and the ``/_fake/`` control plane.
Imports neither fake (an import contract checks it); each fake passes in what is its own."""

from fakekit.control import ControlledFake, control_blueprint, json_text, request_json
from fakekit.errors import ControlError
from fakekit.faults import ANY_METHOD, Fault, FaultBook
from fakekit.journal import Journal, RawBody

__all__ = [
    "ANY_METHOD",
    "ControlError",
    "ControlledFake",
    "Fault",
    "FaultBook",
    "Journal",
    "RawBody",
    "control_blueprint",
    "json_text",
    "request_json",
]
