"""``harness validate``: Entra's SCIM client, run as checks against any SCIM 2.0 endpoint.

Exit codes: 0 every mandatory check passed, 1 a mandatory check failed, 2 invalid input (a
schema or values file that cannot be used, an unknown check, a missing URL).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from harness.engine import rules

FILE_OUT = click.Path(dir_okay=False, writable=True, path_type=Path)
FILE_IN = click.Path(dir_okay=False, exists=True, path_type=Path)
FLAGS = {"aadOptscim062020": "aadOptscim062020", "AzureAdScimPatch2017": "default"}


def _invalid(message: str) -> NoReturn:
    click.echo(click.style("invalid input: ", fg="red", bold=True) + message, err=True)
    sys.exit(2)


def _write(path: Path, text: str) -> None:
    if str(path) == "-":
        click.echo(text)
    else:
        path.write_text(text, encoding="utf-8")


def _load_schema(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        _invalid(f"{path}: not a JSON file ({exc})")
    except RecursionError:
        _invalid(f"{path}: nested too deeply to read")
    try:
        rules.load(data)
    except rules.SchemaError as exc:
        where = f" at {exc.location}" if exc.location else ""
        _invalid(f"{path}{where}: {exc.message}")
    return dict(data)


@click.command("validate")
@click.option("--url", help="The SCIM endpoint (Entra's Tenant URL), flags in the query allowed.")
@click.option(
    "--token",
    envvar="HARNESS_VALIDATE_TOKEN",
    help="The bearer token (Entra's Secret Token); also $HARNESS_VALIDATE_TOKEN.",
)
@click.option(
    "--schema",
    "schema_file",
    type=FILE_IN,
    help="The job's schema as exported (Review your schema): its mappings give the attributes "
    "and values. Default: the Miro gallery template, restricted to what /Schemas declares.",
)
@click.option(
    "--groups/--no-groups",
    default=None,
    help="Run the group checks (default: when the schema maps groups).",
)
@click.option(
    "--flag",
    type=click.Choice(sorted(FLAGS)),
    help="The PATCH dialect flag, as in the Tenant URL (default: read from --url).",
)
@click.option("--only", multiple=True, help="Run only this check (an id or a pattern: users.*).")
@click.option("--skip", multiple=True, help="Do not run this check (an id or a pattern).")
@click.option(
    "--values",
    "values_file",
    type=FILE_IN,
    help="Test values (YAML or JSON) per source object, with {%generateRandomString N%} and "
    "{%generateAlphaNumeric N%}.",
)
@click.option("--existing-group", help="Run the membership checks against this existing group.")
@click.option("--domain", default="validate.example.com", show_default=True, help="E-mail domain.")
@click.option("--seed", type=int, help="Seed of the test values (default: random).")
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds per request.")
@click.option(
    "--max-wait",
    type=float,
    default=120.0,
    show_default=True,
    help="Seconds of Retry-After waits a run may spend in all.",
)
@click.option("--json", "json_file", type=FILE_OUT, help="Write the JSON report ('-': stdout).")
@click.option("--html", "html_file", type=FILE_OUT, help="Write the HTML report.")
@click.option("--junit", "junit_file", type=FILE_OUT, help="Write JUnit XML.")
@click.option("--list", "list_checks", is_flag=True, help="List the checks and exit.")
@click.option("-v", "--verbose", is_flag=True, help="Show every check's requests.")
def validate(
    url: str | None,
    token: str | None,
    schema_file: Path | None,
    groups: bool | None,
    flag: str | None,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    values_file: Path | None,
    existing_group: str | None,
    domain: str,
    seed: int | None,
    timeout: float,
    max_wait: float,
    json_file: Path | None,
    html_file: Path | None,
    junit_file: Path | None,
    list_checks: bool,
    verbose: bool,
) -> None:
    """Validate a SCIM endpoint the way Microsoft Entra ID's provisioning engine calls it.

    Every check sends the requests the engine itself sends (matching queries, create, the
    minimal PATCH in either dialect, disable, re-enable, delete, groups and their members),
    and names what Entra would do in production with a failure. The objects it creates are
    deleted at the end.
    """
    from harness.validate.html_report import html_report
    from harness.validate.reports import json_report, junit_report, terminal_report
    from harness.validate.runner import CHECKS, run, select
    from harness.validate.session import Options
    from harness.validate.values import load_values

    if list_checks:
        for check in CHECKS:
            click.echo(f"{check.id:42} {check.level:9} {check.name}")
        return
    if not url:
        _invalid("--url is required (the SCIM endpoint to validate)")
    try:
        select(only, skip)
    except ValueError as exc:
        _invalid(str(exc))
    schema = _load_schema(schema_file) if schema_file is not None else None
    try:
        values = load_values(values_file) if values_file is not None else {}
        options = Options(
            url=url,
            token=token,
            schema=schema,
            groups=groups,
            dialect=FLAGS[flag] if flag else None,
            only=only,
            skip=skip,
            values=values,
            seed=seed,
            domain=domain,
            existing_group=existing_group,
            timeout=timeout,
            max_wait=max_wait,
        )
        report = run(options)
    except ValueError as exc:  # a values file, a URL or a mapping that cannot be used
        _invalid(str(exc))
    click.echo(terminal_report(report, color=sys.stdout.isatty(), verbose=verbose))
    if json_file is not None:
        _write(json_file, json_report(report))
    if html_file is not None:
        _write(html_file, html_report(report))
    if junit_file is not None:
        _write(junit_file, junit_report(report))
    sys.exit(report.exit_code)
