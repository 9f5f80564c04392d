"""The ``harness`` console script."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from harness import __version__
from harness.cli import main


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"harness, version {__version__}"
    assert __version__ != "0.0.0", "the package is not installed"


def test_help_lists_the_purpose() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "Miro" in result.output


def test_console_script_runs() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "harness.cli", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert __version__ in out.stdout


def test_subcommands_are_registered() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("serve", "run", "bench"):
        assert command in main.commands
        assert command in result.output
