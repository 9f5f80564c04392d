"""``harness import`` and ``harness replay``.

Exit codes as ``harness run``: 0 all well (the replay agrees 100 %), 1 a disagreement (or the
case stopped), 2 invalid input (an export, a schema or a case that cannot be read).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from harness.lab.backends import BACKENDS, BackendError, backend_from_env
from harness.replay.anonymise import DEFAULT_SALT

EXPORT = click.Path(exists=False, path_type=Path)


def _invalid(kind: str, message: str) -> None:
    click.echo(click.style(f"invalid {kind}:", fg="red", bold=True), err=True)
    click.echo(message, err=True)
    sys.exit(2)


@click.command("import")
@click.argument("exports", nargs=-1, required=True, type=EXPORT)
@click.option(
    "-o",
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="The case file to write (CASE.yaml).",
)
@click.option(
    "--schema",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The job's schema as exported (Review your schema, or GET .../jobs/{id}/schema); "
    "copied beside the case and applied as the job's schema.",
)
@click.option(
    "--anonymise/--no-anonymise",
    default=False,
    help="Replace names, e-mails, UPNs, ids and display names with consistent pseudonyms; the "
    "pseudonymised export is written beside the case (CASE.logs.json).",
)
@click.option(
    "--salt",
    default=DEFAULT_SALT,
    show_default=False,
    help="Secret for --anonymise pseudonyms (same salt, same pseudonyms).",
)
@click.option("--title", help="The case's title (default: a summary of the export).")
@click.option("--seed", type=int, default=0, show_default=True, help="The case's seed.")
@click.option(
    "--max-expect",
    type=click.IntRange(min=0),
    default=500,
    show_default=True,
    help="Objects whose recorded outcomes become expect entries (harness replay compares all).",
)
@click.option(
    "--logs-out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write the records read (pseudonymised with --anonymise) as a JSON download.",
)
@click.option(
    "--csv-out",
    type=click.Path(file_okay=False, writable=True, path_type=Path),
    help="Also write the records read as the admin center's CSV three-file set, in this folder.",
)
def import_command(
    exports: tuple[Path, ...],
    out: Path,
    schema: Path | None,
    anonymise: bool,
    salt: str,
    title: str | None,
    seed: int,
    max_expect: int,
    logs_out: Path | None,
    csv_out: Path | None,
) -> None:
    """Turn a customer's exported provisioning logs (EXPORTS: the JSON download, Graph pages,
    the CSV three-file set, Log Analytics rows; files or folders) into a case file."""
    from harness.replay.importer import import_export
    from harness.replay.records import ReadError

    try:
        result = import_export(
            list(exports),
            out,
            schema=schema,
            anonymise=anonymise,
            salt=salt,
            title=title,
            seed=seed,
            max_expect=max_expect,
            logs_out=logs_out,
            csv_out=csv_out,
        )
    except ReadError as exc:
        _invalid("export", str(exc))
        return
    click.echo(
        f"{result.records} records, {result.objects} objects, {result.cycles} cycles -> "
        f"{result.case_file}",
    )
    for path in result.written[1:]:
        click.echo(f"  also written: {path}")
    for warning in result.warnings:
        click.echo(click.style("note: ", fg="yellow") + warning, err=True)
    if result.todos:
        click.echo(f"{len(result.todos)} TODO(s) in the case: the records cannot tell", err=True)
        for todo in result.todos:
            click.echo(f"  - {todo}", err=True)


@click.command("replay")
@click.argument("case_file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("exports", nargs=-1, type=EXPORT)
@click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    default=None,
    help="Where the lab runs (default: $HARNESS_BACKEND or inprocess).",
)
@click.option(
    "--anonymise/--no-anonymise",
    default=False,
    help="The case was imported with --anonymise and EXPORTS are the original files.",
)
@click.option("--salt", default=DEFAULT_SALT, help="The salt the case was imported with.")
@click.option(
    "--json",
    "json_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the comparison as JSON to this file ('-' for stdout).",
)
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write a self-contained HTML report.",
)
@click.option(
    "--color/--no-color", default=None, help="Colour the terminal report (default: if a terminal)."
)
@click.option("--all", "show_all", is_flag=True, help="List the agreements too.")
def replay_command(
    case_file: Path,
    exports: tuple[Path, ...],
    backend: str | None,
    anonymise: bool,
    salt: str,
    json_file: Path | None,
    html_file: Path | None,
    color: bool | None,
    show_all: bool,
) -> None:
    """Run CASE_FILE and compare, per object and cycle, our decisions with the ones the
    customer's export (EXPORTS; default: CASE.logs.json beside the case) recorded.

    Exit code 0 when every decision agrees, 1 when one differs or the case stops, 2 when the
    case or the export cannot be read.
    """
    from harness.cases.loader import CaseError
    from harness.replay.records import ReadError
    from harness.replay.replay import replay
    from harness.replay.report import html_report, json_text, terminal_report

    try:
        result = replay(
            case_file,
            list(exports),
            backend=backend or backend_from_env(),
            anonymise=anonymise,
            salt=salt,
        )
    except CaseError as exc:
        _invalid("case file", str(exc))
        return
    except ReadError as exc:
        _invalid("export", str(exc))
        return
    except BackendError as exc:
        click.echo(click.style("cannot run the case: ", fg="red", bold=True) + str(exc), err=True)
        sys.exit(2)
    use_color = sys.stdout.isatty() if color is None else color
    to_stdout = json_file is not None and str(json_file) == "-"
    if not to_stdout:
        click.echo(terminal_report(result, color=use_color, show_all=show_all), color=use_color)
    if json_file is not None:
        if to_stdout:
            click.echo(json_text(result))
        else:
            json_file.write_text(json_text(result) + "\n", encoding="utf-8")
            click.echo(f"JSON written to {json_file}", err=True)
    if html_file is not None:
        html_file.write_text(html_report(result), encoding="utf-8")
        click.echo(f"HTML report written to {html_file}", err=True)
    sys.exit(0 if result.passed else 1)
