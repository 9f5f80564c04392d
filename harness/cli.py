"""The ``harness`` command line."""

from __future__ import annotations

import click

from harness import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="harness")
def main() -> None:
    """Test and reproduce Microsoft Entra ID -> Miro SCIM provisioning locally."""


if __name__ == "__main__":  # pragma: no cover
    main()
