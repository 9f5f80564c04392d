"""The ``harness`` command line: ``serve``, ``run``, ``bench``, ``import``, ``replay`` and
``validate``."""

from __future__ import annotations

import click

from harness import __version__
from harness.bench.command import bench
from harness.cases.command import run
from harness.replay.command import import_command, replay_command
from harness.serve.command import serve
from harness.validate.command import validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="harness")
def main() -> None:
    """Test and reproduce Microsoft Entra ID -> Miro SCIM provisioning locally."""


main.add_command(serve)
main.add_command(run)
main.add_command(bench)
main.add_command(import_command)
main.add_command(replay_command)
main.add_command(validate)


if __name__ == "__main__":  # pragma: no cover
    main()
