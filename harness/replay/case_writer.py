"""The imported case as YAML text: the sections ``harness run`` reads, with comments saying where
facts came from and TODOs for what the records cannot tell."""

from __future__ import annotations

import textwrap
from typing import Any

from harness.replay.inference import Draft
from harness.replay.yaml_text import comment, flow, item, scalar


def render(
    draft: Draft,
    *,
    title: str,
    description: str,
    seed: int,
    sources: list[str],
    schema_file: str | None,
    warnings: list[str],
) -> str:
    out: list[str] = []
    out += comment(f"Imported by `harness import` from {', '.join(sources)}.")
    out += comment("Replay it against the same export: harness replay THIS_FILE EXPORT...")
    if draft.todos:
        out.append("#")
        out += comment("TODO (the records cannot tell; nothing below guesses them):")
        for todo in draft.todos:
            out += _wrapped(f"- {todo}", indent=0, prefix="#   ")
    if warnings:
        out.append("#")
        out += comment("While reading the export:")
        for warning in warnings[:50]:
            out += _wrapped(f"- {warning}", indent=0, prefix="#   ")
        if len(warnings) > 50:
            out += comment(f"  ... and {len(warnings) - 50} more")
    out.append(f"title: {scalar(title)}")
    out.append("description: >")
    out += [f"  {line}" for line in textwrap.wrap(description, 96)] or ["  -"]
    out.append(f"seed: {seed}")

    out.append("directory:")
    if draft.users:
        out.append("  users:")
        for user in draft.users:
            out += item(user, 4)
    if draft.groups:
        out.append("  groups:")
        for group in draft.groups:
            out += item(group, 4)
    if not draft.users and not draft.groups:
        out.append("  users: []")

    if draft.miro_users or draft.miro_teams:
        out.append("miro:")
        out += comment("found in Miro by the job before it could have created them", 2)
        if draft.miro_teams:
            out.append(f"  teams: {flow(draft.miro_teams)}")
        if draft.miro_users:
            out.append("  users:")
            for user in draft.miro_users:
                out += item(user, 4)

    job: list[str] = []
    if schema_file:
        job.append(f"  schema_file: {scalar(schema_file)}")
    if draft.secrets:
        job += comment("inferred from skip reasons in the records", 2)
        job.append("  secrets:")
        job += [f"    {k}: {scalar(v)}" for k, v in draft.secrets.items()]
    if draft.engine_settings:
        job += comment("inferred from UnsupportedFilterValue failures in the records", 2)
        job.append("  settings:")
        job += [f"    {k}: {scalar(v)}" for k, v in draft.engine_settings.items()]
    if draft.job_settings:
        job += comment("inferred from held deletions (StagedDelete) in the records", 2)
        job.append("  job_settings:")
        job += [f"    {k}: {scalar(v)}" for k, v in draft.job_settings.items()]
    if draft.flows:
        job += comment("inferred from TargetObjectActionDisabled skips", 2)
        job.append("  flows:")
        job += [f"    {k}: {scalar(v)}" for k, v in draft.flows.items()]
    if job:
        out.append("job:")
        out += job
    for note in draft.notes:
        out += _wrapped(note, indent=0, prefix="# ")

    out.append("steps:")
    for step in draft.steps:
        if step.comment:
            out += _wrapped(step.comment, indent=2, prefix="  # ")
        out += _step(step.name, step.args)

    out.append("expect:")
    out += comment(
        "the customer's recorded outcomes, per object (harness replay compares every cycle)", 2
    )
    if draft.omitted_expectations:
        out += comment(
            f"{draft.omitted_expectations} more object(s) left out here; harness replay compares them all",
            2,
        )
    if draft.expect_logs:
        out.append("  logs:")
        for expectation in draft.expect_logs:
            out.append(f"    - {flow(expectation)}")
    else:
        out.append("  logs: []")
    return "\n".join(out) + "\n"


def _step(name: str, args: Any) -> list[str]:
    if args is None:
        return [f"  - {name}"]
    return [f"  - {name}: {flow(args)}"]


def _wrapped(text: str, indent: int, prefix: str) -> list[str]:
    width = max(40, 100 - len(prefix))
    del indent
    return [f"{prefix}{line}" for line in textwrap.wrap(text, width)] or [prefix.rstrip()]
