"""Saving and loading a whole lab: both fakes, the clock, and the engine's job state.

The fakes dump and load themselves (``GET/PUT /_fake/state``). The engine has no dump of its
own yet, so :func:`dump_engine_state` serialises what the lab can reach: engine settings,
per-service-principal secrets, every job (schema, settings, schedule, status, and its runtime:
watermarks, connector data store, directory mirror, escrows, counters), the provisioning logs and
the id generators' positions. :func:`load_engine_state` puts them back.

The engine's dataclasses are encoded generically, with tags for what JSON lacks (datetimes,
timedeltas, sets, tuples, defaultdicts, non-string keys), so fields added to those dataclasses
later are carried without changes here. Only dataclasses from the engine's own modules are ever
rebuilt on load: a state file is data, never code.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import random
import tempfile
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.engine import rules
from harness.engine.settings import EngineSettings
from harness.synchronization.models import Job

if TYPE_CHECKING:
    from harness.lab import Lab

STATE_FORMAT = "harness-lab-state"
STATE_VERSION = 1
# Modules whose dataclasses a state file may rebuild.
_TRUSTED_MODULES = ("harness.engine.", "harness.synchronization.")
_TAGS = ("$dt", "$td", "$set", "$tuple", "$dd", "$dict", "$dc")
_DEFAULT_FACTORIES: dict[str, Any] = {"set": set, "list": list, "dict": dict}


class StateFileError(ValueError):
    """A state file that cannot be loaded (wrong format, version or content)."""


# -- the generic codec ----------------------------------------------------------------------


def encode(value: Any) -> Any:
    """``value`` as JSON-ready data, with tags for the types JSON lacks."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, timedelta):
        return {"$td": value.total_seconds()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        return {
            "$dc": f"{cls.__module__}:{cls.__qualname__}",
            "fields": {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init},
        }
    if isinstance(value, set | frozenset):
        items = [encode(v) for v in value]
        return {"$set": sorted(items, key=json.dumps)}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, defaultdict):
        factory = next((k for k, f in _DEFAULT_FACTORIES.items() if f is value.default_factory), None)
        if factory is None:
            raise TypeError(f"cannot encode a defaultdict of {value.default_factory!r}")
        return {"$dd": factory, "items": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, dict):
        if all(isinstance(k, str) and k not in _TAGS for k in value):
            return {k: encode(v) for k, v in value.items()}
        return {"$dict": [[encode(k), encode(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    raise TypeError(f"cannot encode {type(value).__name__} in a state file")


def decode(data: Any) -> Any:
    """The inverse of :func:`encode`."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "$dt" in data:
        return datetime.fromisoformat(data["$dt"])
    if "$td" in data:
        return timedelta(seconds=data["$td"])
    if "$set" in data:
        return {_hashable(decode(v)) for v in data["$set"]}
    if "$tuple" in data:
        return tuple(decode(v) for v in data["$tuple"])
    if "$dd" in data:
        factory = _DEFAULT_FACTORIES.get(data["$dd"])
        if factory is None:
            raise StateFileError(f"unknown defaultdict factory {data['$dd']!r}")
        out: defaultdict[Any, Any] = defaultdict(factory)
        for k, v in data["items"]:
            out[_hashable(decode(k))] = decode(v)
        return out
    if "$dict" in data:
        return {_hashable(decode(k)): decode(v) for k, v in data["$dict"]}
    if "$dc" in data:
        cls = _trusted_class(data["$dc"])
        return cls(**{k: decode(v) for k, v in data["fields"].items()})
    return {k: decode(v) for k, v in data.items()}


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _trusted_class(name: str) -> type:
    module_name, _, qualname = str(name).partition(":")
    if not module_name.startswith(_TRUSTED_MODULES) or not qualname or "." in qualname:
        raise StateFileError(f"a state file may not rebuild {name!r}")
    cls = getattr(importlib.import_module(module_name), qualname, None)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise StateFileError(f"{name!r} is not an engine dataclass")
    return cls


def _rng_state(rng: random.Random) -> list[Any]:
    version, internal, gauss = rng.getstate()
    return [version, list(internal), gauss]


def _set_rng_state(rng: random.Random, state: list[Any]) -> None:
    version, internal, gauss = state
    rng.setstate((version, tuple(internal), gauss))


# -- the engine's state ---------------------------------------------------------------------


def dump_engine_state(lab: Lab) -> dict[str, Any]:
    """Everything the engine keeps for ``lab``'s jobs, as JSON-ready data."""
    store, service = lab.store, lab.service
    with store.lock:
        jobs = [_dump_job(job) for job in store.jobs.values()]
        secrets = {sp: dict(values) for sp, values in store.secrets.items()}
    return {
        "settings": service.settings.to_json(),
        "secrets": secrets,
        "jobs": jobs,
        "logs": lab.logs.all(),
        # IdSource keeps its generator private; without its position, ids would repeat.
        "ids": {
            "service": _rng_state(service.ids._rng),
            "store": _rng_state(store.ids._rng),
        },
    }


def _dump_job(job: Job) -> dict[str, Any]:
    return {
        "id": job.id,
        "servicePrincipalId": job.service_principal_id,
        "templateId": job.template_id,
        # None = the template's schema (a tenant-exported schema is saved in full).
        "schema": None if job.schema_json is job.template_schema else job.schema_json,
        "settings": [dict(s) for s in job.settings],
        "scheduleState": job.schedule_state,
        "interval": encode(job.interval),
        "nextRun": encode(job.next_run),
        "status": encode(job.status),
        "runtime": encode(job.runtime),
    }


def load_engine_state(lab: Lab, state: dict[str, Any]) -> None:
    """Replace ``lab``'s engine state with a :func:`dump_engine_state`; all or nothing."""
    try:
        settings = EngineSettings().updated(dict(state.get("settings") or {}))
        jobs = [_load_job(lab, raw) for raw in state.get("jobs", [])]
        secrets = {str(sp): {str(k): str(v) for k, v in values.items()}
                   for sp, values in (state.get("secrets") or {}).items()}
        logs = list(state.get("logs") or [])
        ids = state.get("ids") or {}
    except StateFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StateFileError(f"the engine state cannot be loaded: {type(exc).__name__}: {exc}") from exc
    store = lab.store
    with store.lock:
        store.jobs.clear()
        store.jobs.update({job.id: job for job in jobs})
        store.secrets.clear()
        store.secrets.update(secrets)
        if "store" in ids:
            _set_rng_state(store.ids._rng, ids["store"])
    lab.service.settings = settings
    if "service" in ids:
        _set_rng_state(lab.service.ids._rng, ids["service"])
    lab.logs.clear()
    lab.logs.extend(logs)


def _load_job(lab: Lab, raw: dict[str, Any]) -> Job:
    template = lab.store.template(raw["templateId"])
    if template is None:
        raise StateFileError(f"job {raw['id']!r} uses unknown template {raw['templateId']!r}")
    template_schema = template["schema"]
    schema_json = raw.get("schema") or template_schema
    schema = rules.load(schema_json)
    return Job(
        id=str(raw["id"]),
        service_principal_id=str(raw["servicePrincipalId"]),
        template_id=str(raw["templateId"]),
        template_schema=template_schema,
        schema_json=schema_json,
        schema=schema,
        settings=[{"name": str(s["name"]), "value": str(s["value"])} for s in raw["settings"]],
        schedule_state=str(raw["scheduleState"]),
        interval=decode(raw.get("interval")),
        next_run=decode(raw.get("nextRun")),
        status=decode(raw["status"]),
        runtime=decode(raw["runtime"]),
    )


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
        "engine": dump_engine_state(lab),
    }


def load_lab_state(lab: Lab, state: dict[str, Any]) -> None:
    """Load a :func:`dump_lab_state` into a fresh ``lab`` (its clock must not be past the saved
    time). URLs of the saved lab (a job's ``BaseAddress``, its delta links) are re-pointed at
    this lab's fakes, whose ports may differ."""
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise StateFileError(f"not a harness state file (expected \"format\": \"{STATE_FORMAT}\")")
    if state.get("version") != STATE_VERSION:
        raise StateFileError(f"unsupported state version {state.get('version')!r}")
    try:
        saved_now = datetime.fromisoformat(state["clock"])
    except (KeyError, TypeError, ValueError) as exc:
        raise StateFileError(f"the state's clock is not a time: {exc}") from exc
    if saved_now < lab.clock.now():
        raise StateFileError("the state's clock is earlier than this lab's; load into a fresh lab")
    lab.graph.load(state["graph"])
    lab.miro.load(state["miro"])
    load_engine_state(lab, state["engine"])
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


def _repoint(value: Any, old: Any, new: str) -> Any:
    if isinstance(value, str) and isinstance(old, str) and old and value.startswith(old):
        return new + value[len(old):]
    return value


def read_state_file(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StateFileError(f"cannot read state file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise StateFileError(f"state file {path} does not hold a JSON object")
    return data


def write_json_atomically(path: Path, data: Any) -> None:
    """Write ``data`` so that a reader sees the old file or the whole new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
        # mkstemp makes the file private; give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
