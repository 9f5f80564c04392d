"""``harness run CASE.yaml``: run one support case and report what happened."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from harness.cases.loader import CaseError, load_case
from harness.cases.report import html_report, json_report, terminal_report
from harness.cases.runner import run_case
from harness.lab.backends import BACKENDS, BackendError, backend_from_env


@click.command("run")
@click.argument("case_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--backend",
    type=click.Choice(BACKENDS),
    default=None,
    help="Where the lab runs (default: $HARNESS_BACKEND or inprocess).",
)
@click.option(
    "--json",
    "json_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the full result (logs, journal, both states) as JSON to this file ('-' for stdout).",
)
@click.option(
    "--html",
    "html_file",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write a self-contained HTML report to this file.",
)
@click.option(
    "--color/--no-color", default=None, help="Colour the terminal report (default: if a terminal)."
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Failed expectations first; leave out the end state and the expectations that passed.",
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Everything: every object apart, every entry's steps, every request body, raw JSON in "
    "the HTML page (by default repetition is folded).",
)
def run(
    case_file: Path,
    backend: str | None,
    json_file: Path | None,
    html_file: Path | None,
    color: bool | None,
    quiet: bool,
    verbose: bool,
) -> None:
    """Run one support case (CASE_FILE) and print what happened, object by object.

    Exit code 0 when every expectation holds, 1 when one fails, 2 when the file is invalid or
    the backend cannot give a lab (e.g. no Docker daemon for the container backend).
    """
    try:
        case = load_case(case_file)
    except CaseError as exc:
        click.echo(click.style("invalid case file:", fg="red", bold=True), err=True)
        click.echo(str(exc), err=True)
        sys.exit(2)
    try:
        result = run_case(case, backend=backend or backend_from_env())
    except BaseException as exc:
        # No lab in that backend (no Docker daemon, an unknown name): say so, not a traceback.
        # Outside pytest the container backend's "skip" arrives as pytest's Skipped exception.
        pytest_module = sys.modules.get("pytest")
        skipped = pytest_module is not None and isinstance(exc, pytest_module.skip.Exception)
        if isinstance(exc, BackendError) or skipped:
            click.echo(
                click.style("cannot run the case: ", fg="red", bold=True) + str(exc), err=True
            )
            sys.exit(2)
        raise
    use_color = sys.stdout.isatty() if color is None else color
    to_stdout_json = json_file is not None and str(json_file) == "-"
    if not to_stdout_json:
        click.echo(
            terminal_report(result, color=use_color, failures_only=quiet, verbose=verbose),
            color=use_color,
        )
    if json_file is not None:
        text = json.dumps(json_report(result), indent=2, sort_keys=True, default=str)
        if to_stdout_json:
            click.echo(text)
        else:
            json_file.write_text(text + "\n", encoding="utf-8")
            click.echo(f"JSON result written to {json_file}", err=True)
    if html_file is not None:
        html_file.write_text(html_report(result, verbose=verbose), encoding="utf-8")
        click.echo(f"HTML report written to {html_file}", err=True)
    sys.exit(0 if result.passed else 1)
