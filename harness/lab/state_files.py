"""Saving and loading a whole lab: both fakes, the clock, and the engine's job state.

The fakes dump and load themselves (``GET/PUT /_fake/state``); so does the engine
(``ProvisioningService.dump``/``load``, ``GET/PUT /_fake/engine/state``: jobs with their schedule,
status, watermarks, connector data store, mirror, escrows, plus secrets, settings, provisioning
logs, the outbox and the id generators). A lab state bundles the three with the clock, and
re-points the URLs a lab records about itself when it is loaded behind other ports.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field

from fakekit.validation import (
    MAX_INT,
    MAX_STATE_BYTES,
    STRICT,
    JsonInputError,
    parse_json,
    validate,
)

if TYPE_CHECKING:
    from harness.lab.local import Lab

STATE_FORMAT = "harness-lab-state"
STATE_VERSION = 1


class StateFileError(ValueError):
    """A state file that cannot be loaded (wrong format, version or content)."""


# -- a whole lab ----------------------------------------------------------------------------


def dump_lab_state(lab: Lab) -> dict[str, Any]:
    """Both fakes, the clock and the engine: a support case's environment in one object."""
    return {
        "format": STATE_FORMAT,
        "version": STATE_VERSION,
        "seed": lab.seed,
        "clock": lab.clock.now().isoformat(),
        "servicePrincipalId": lab.service_principal_id,
        "jobId": lab.job_id,
        "graphUrl": lab.graph_url,
        "scimUrl": lab.scim_url,
        "graph": lab.graph.dump(),
        "miro": lab.miro.dump(),
        "engine": lab.service.dump(),
    }


def load_lab_state(lab: Lab, state: dict[str, Any]) -> None:
    """Load a :func:`dump_lab_state` into a fresh ``lab`` (its clock must not be past the saved
    time). URLs of the saved lab (a job's ``BaseAddress``, its delta links) are re-pointed at
    this lab's fakes, whose ports may differ.

    Each part loads all or nothing, but the three parts one after another: on a
    :class:`StateFileError` discard the lab (``harness serve`` keeps the previous one)."""
    check_lab_state(state)
    saved_now = datetime.fromisoformat(state["clock"])
    if saved_now < lab.clock.now():
        raise StateFileError("the state's clock is earlier than this lab's; load into a fresh lab")
    try:
        lab.graph.load(state["graph"])
    except Exception as exc:  # the Graph fake answers a bad dump with its 400 GraphError
        if getattr(exc, "status", None) != 400:
            raise
        raise StateFileError(f"the Graph state cannot be loaded: {exc}") from exc
    try:
        lab.miro.load(state["miro"])
    except ValueError as exc:
        raise StateFileError(f"the Miro state cannot be loaded: {exc}") from exc
    try:
        lab.service.load(state["engine"])
    except ValueError as exc:
        raise StateFileError(f"the engine state cannot be loaded: {exc}") from exc
    old_scim, old_graph = state.get("scimUrl"), state.get("graphUrl")
    with lab.store.lock:
        for values in lab.store.secrets.values():
            if "BaseAddress" in values:
                values["BaseAddress"] = _repoint(values["BaseAddress"], old_scim, lab.scim_url)
        for job in lab.store.jobs.values():
            marks = job.runtime.watermarks
            for name in ("users", "groups", "assignments"):
                setattr(marks, name, _repoint(getattr(marks, name), old_graph, lab.graph_url))
    lab.clock.set(saved_now)
    lab.service_principal_id = str(state.get("servicePrincipalId") or lab.service_principal_id)
    lab.job_id = str(state.get("jobId") or lab.job_id)


class LabState(BaseModel):
    """The top of a lab state (:func:`dump_lab_state`); each fake and the engine check their
    own part when it is loaded."""

    model_config = STRICT
    format: Literal["harness-lab-state"]
    version: Literal[1]
    seed: Annotated[int, Field(ge=0, le=MAX_INT)]
    clock: Annotated[str, Field(max_length=64)]
    servicePrincipalId: Annotated[str, Field(min_length=1, max_length=256)]
    jobId: Annotated[str, Field(min_length=1, max_length=1024)]
    graphUrl: Annotated[str, Field(max_length=2048)]
    scimUrl: Annotated[str, Field(max_length=2048)]
    graph: dict[str, Any]
    miro: dict[str, Any]
    engine: dict[str, Any]


def check_lab_state(state: Any) -> None:
    """Refuse a lab state that cannot be loaded whole, before anything is replaced: the format
    (:class:`LabState`, one line naming the field), the clock, and links of the engine that
    point at Miro objects the Miro part does not hold (a link to nothing would be "updated"
    with 404s forever)."""
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise StateFileError(f'not a harness state file (expected "format": "{STATE_FORMAT}")')
    if state.get("version") != STATE_VERSION:
        raise StateFileError(f"unsupported state version {state.get('version')!r}")
    try:
        validate(LabState, state)
    except JsonInputError as exc:
        raise StateFileError(f"invalid state: {exc}") from exc
    try:
        datetime.fromisoformat(state["clock"])
    except ValueError as exc:
        raise StateFileError(f"clock: is not a time: {exc}") from exc
    _check_links_resolve(state)


def _check_links_resolve(state: dict[str, Any]) -> None:
    miro, engine, scim_url = state["miro"], state["engine"], state["scimUrl"]
    known: set[Any] = set()
    for part in ("users", "deleted_users", "guests", "groups"):
        items = miro.get(part)
        if isinstance(items, list):
            known.update(item.get("id") for item in items if isinstance(item, dict))
    secrets = engine.get("secrets")
    jobs = engine.get("jobs")
    if not isinstance(secrets, dict) or not isinstance(jobs, list):
        return  # the engine's own check names what is wrong
    for j, job in enumerate(jobs):
        if not isinstance(job, dict):
            continue
        base = (secrets.get(job.get("servicePrincipalId")) or {}).get("BaseAddress")
        if not isinstance(base, str) or not base.startswith(scim_url):
            continue  # a job pointed at another SCIM server: its objects are not in this file
        links = (job.get("runtime") or {}).get("links") or []
        for k, link in enumerate(links if isinstance(links, list) else []):
            if (
                isinstance(link, dict)
                and not link.get("deleted")
                and link.get("targetId") not in known
            ):
                raise StateFileError(
                    f"engine.jobs[{j}].runtime.links[{k}].targetId: {link.get('targetId')!r} "
                    "is not a user or group of the miro part"
                )


def _repoint(value: Any, old: Any, new: str) -> Any:
    if isinstance(value, str) and isinstance(old, str) and old and value.startswith(old):
        return new + value[len(old) :]
    return value


def read_state_file(path: Path) -> dict[str, Any]:
    """The state file's object, through the shared JSON checks (depth, lone surrogates, numbers
    no field can hold); :class:`StateFileError` with one line naming the file otherwise."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StateFileError(f"cannot read state file {path}: {exc}") from exc
    try:
        data = parse_json(raw, max_bytes=MAX_STATE_BYTES, what="the state file")
    except JsonInputError as exc:
        raise StateFileError(f"cannot read state file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise StateFileError(f"state file {path} does not hold a JSON object")
    return data


TEMPORARY_SUFFIX = ".tmp"


def _temporary_prefix(path: Path) -> str:
    return f".{path.name}."


def write_json_atomically(path: Path, data: Any) -> int:
    """Write ``data`` so that a reader sees the old file or the whole new one, never half: a
    temporary file beside it (``.NAME.XXXX.tmp``), flushed to disk, renamed over it. How many
    bytes were written. A process killed mid-save leaves the temporary file and the old state;
    :func:`remove_leftover_temporary_files` removes the former."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=_temporary_prefix(path), suffix=TEMPORARY_SUFFIX, dir=path.parent
    )
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
            size = handle.tell()
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file private; give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return size


def remove_leftover_temporary_files(path: Path) -> list[Path]:
    """Remove the temporary files a killed :func:`write_json_atomically` of ``path`` left;
    the ones removed."""
    if not path.parent.is_dir():
        return []
    prefix = _temporary_prefix(path)
    removed = []
    for candidate in path.parent.iterdir():
        name = candidate.name
        if name.startswith(prefix) and name.endswith(TEMPORARY_SUFFIX) and candidate.is_file():
            candidate.unlink(missing_ok=True)
            removed.append(candidate)
    return removed
