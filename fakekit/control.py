"""The control plane both fakes serve under ``/_fake/`` (see docs/control-plane.md), built
once here so both answer in one shape:

- ``POST /reset`` → ``{"reset": true, "status": "reset"}``: the fake empties itself, the
  journal and the faults (fault ids start at ``fault-1`` again).
- ``POST /seed`` (a JSON object, optional) → 200 with what was created.
- ``GET /state`` → the full dump; ``PUT /state`` loads one → ``{"loaded": true, "status":
  "loaded", ...}`` plus what the fake counts.
- ``GET /journal`` → ``{"requests": [...]}``; ``DELETE /journal`` → ``{"cleared": true,
  "count": n}``.
- ``POST /faults`` → 201 with the fault's fields and the same under ``"fault"``;
  ``GET /faults`` → ``{"faults": [...]}``; ``DELETE /faults`` → ``{"cleared": true, "status":
  "cleared"}``; ``DELETE /faults/<id>`` → ``{"removed": id}`` (404 if there is none).
- ``GET /settings``; ``PUT /settings`` (a partial object) → all settings.

Each fake passes in what differs: its state (a :class:`ControlledFake`), where its journal and
fault book are, how its errors look on the wire, and the content type of its JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

from flask import Blueprint, Response, request

from fakekit.errors import ControlError, bad_input
from fakekit.faults import FaultBook
from fakekit.journal import Journal
from fakekit.validation import MAX_STATE_BYTES, JsonInputError, parse_json

JSON = "application/json"


class ControlledFake(Protocol):
    """What the control plane asks of a fake's state."""

    def reset(self) -> None: ...

    def seed(self, options: dict[str, Any]) -> Any:
        """Add generated data; ``options`` is the request's object. Answers what was made."""
        ...

    def state_json(self) -> str:
        """Everything needed to rebuild the fake, as JSON text."""
        ...

    def load_state(self, state: Any) -> dict[str, Any]:
        """Replace the state with a dump (bad input changes nothing); what was loaded."""
        ...

    def read_settings(self) -> dict[str, Any]: ...

    def update_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply a partial update (all or nothing); all settings after it."""
        ...


def json_text(body: Any) -> str:
    """JSON as UTF-8 text; escaped where a body holds a lone surrogate, which UTF-8 cannot."""
    text = json.dumps(body, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(body)
    return text


def request_json(*, required: bool) -> Any:
    """The request's JSON body, checked by :func:`fakekit.validation.parse_json` (a whole
    state may be large); None when it is empty and not ``required``."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        if required:
            raise bad_input("The request body is empty; a JSON body is required.")
        return None
    try:
        return parse_json(raw, max_bytes=MAX_STATE_BYTES)
    except JsonInputError as exc:
        raise bad_input(str(exc)) from exc


def request_object(*, required: bool) -> dict[str, Any]:
    """The request's JSON object; ``{}`` when the body is empty and not ``required``."""
    data = request_json(required=required)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise bad_input("The request body must be a JSON object.")
    return data


def control_blueprint(
    name: str,
    *,
    fake: Callable[[], ControlledFake],
    journal: Callable[[], Journal],
    faults: Callable[[], FaultBook],
    render_error: Callable[[ControlError], Response],
    content_type: str = JSON,
) -> Blueprint:
    """A blueprint under ``/_fake`` with the routes above. The callables find the current
    app's state, journal and faults; ``render_error`` turns refused input into the fake's own
    error body. The fake may add its own routes to the blueprint it gets back."""
    bp = Blueprint(name, __name__, url_prefix="/_fake")

    def answer(body: Any, status: int = 200) -> Response:
        return Response(json_text(body), status=status, content_type=content_type)

    bp.register_error_handler(ControlError, render_error)

    @bp.post("/reset")
    def reset() -> Response:
        fake().reset()
        journal().clear()
        faults().reset()
        return answer({"reset": True, "status": "reset"})

    @bp.post("/seed")
    def seed() -> Response:
        return answer(fake().seed(request_object(required=False)))

    @bp.get("/state")
    def get_state() -> Response:
        return Response(fake().state_json(), status=200, content_type=content_type)

    @bp.put("/state")
    def put_state() -> Response:
        loaded = fake().load_state(request_json(required=True))
        return answer({"loaded": True, "status": "loaded", **loaded})

    @bp.get("/journal")
    def get_journal() -> Response:
        return answer({"requests": journal().entries()})

    @bp.delete("/journal")
    def clear_journal() -> Response:
        return answer({"cleared": True, "count": journal().clear()})

    @bp.post("/faults")
    def add_fault() -> Response:
        added = faults().add(request_json(required=True)).public()
        return answer({**added, "fault": added}, 201)

    @bp.get("/faults")
    def list_faults() -> Response:
        return answer({"faults": faults().list()})

    @bp.delete("/faults")
    def clear_faults() -> Response:
        faults().clear()
        return answer({"cleared": True, "status": "cleared"})

    @bp.delete("/faults/<fault_id>")
    def remove_fault(fault_id: str) -> Response:
        if not faults().remove(fault_id):
            raise ControlError(404, f"There is no fault '{fault_id}'.")
        return answer({"removed": fault_id})

    @bp.get("/settings")
    def get_settings() -> Response:
        return answer(fake().read_settings())

    @bp.put("/settings")
    def put_settings() -> Response:
        return answer(fake().update_settings(request_object(required=True)))

    return bp
