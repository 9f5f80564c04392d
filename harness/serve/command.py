"""``harness serve``: the Graph fake (with the synchronization API and provisioning logs), the
Miro fake and the engine as real servers, for non-Python clients and support reproductions.

The command parses its flags, builds a :class:`~harness.serve.served.ServedHarness`, writes the
ready file, and stops cleanly on SIGINT or SIGTERM (saving ``--state`` first).
"""

from __future__ import annotations

import logging
import re
import signal
import sys
from pathlib import Path
from types import FrameType

import click

import mock_miro
from harness.lab.state_files import StateFileError
from harness.lab.surface import CONTROL_TOKEN_ENV
from harness.serve.demo import DEMO_GROUPS, DEMO_USERS
from harness.serve.served import SAVE_EVERY, ServeConfig, ServedHarness
from harness.servers import PRODUCTION_SERVER, SERVER_KINDS, ServerStartError

log = logging.getLogger("harness.serve")


def _install_signal_handlers(harness: ServedHarness) -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        log.info("received %s: shutting down", signal.Signals(signum).name)
        harness.request_stop()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def _control_line(info: dict[str, object]) -> str:
    if info["control_token"] is None:
        return "/_fake/ routes open (loopback, or --insecure-control-plane)"
    return (
        f"/_fake/ routes need the header {info['control_token_header']} "
        f"(the ready file's control_token, or ${CONTROL_TOKEN_ENV})"
    )


@click.command(name="serve")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to bind (0.0.0.0 in a container).",
)
@click.option(
    "--graph-port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port of the Graph fake (0 = a free port).",
)
@click.option(
    "--miro-port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port of the Miro fake (0 = a free port).",
)
@click.option("--start", "start_job", is_flag=True, help="Start the Miro provisioning job at once.")
@click.option(
    "--empty", is_flag=True, help="Start with an empty tenant (no demo users, groups, teams)."
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the demo tenant and of every generated id.",
)
@click.option(
    "--users",
    type=click.IntRange(min=0),
    default=DEMO_USERS,
    show_default=True,
    help="Demo users in the directory.",
)
@click.option(
    "--groups",
    type=click.IntRange(min=0),
    default=DEMO_GROUPS,
    show_default=True,
    help="Demo groups in the directory (each gets a matching Miro team).",
)
@click.option(
    "--miro-token",
    default=mock_miro.DEFAULT_TOKEN,
    show_default=True,
    help="The bearer token the Miro fake accepts (and the job sends).",
)
@click.option(
    "--ready-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the URLs, token and ids as JSON here once both servers answer.",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Load this state at start if it exists; save both fakes, the clock and the "
    "job into it on exit, every --save-every seconds and on POST /_fake/lab/save.",
)
@click.option(
    "--save-every",
    type=click.FloatRange(min=0),
    default=SAVE_EVERY,
    show_default=True,
    help="With --state: seconds between periodic saves (0: only on exit and on request).",
)
@click.option(
    "--control-token",
    envvar=CONTROL_TOKEN_ENV,
    help="The token the /_fake/ routes require in the X-Harness-Control-Token header "
    f"(also ${CONTROL_TOKEN_ENV}). Required beyond loopback: generated when not given, "
    "written to the ready file. Given on loopback, it closes the control plane there too.",
)
@click.option(
    "--insecure-control-plane",
    is_flag=True,
    help="Leave the /_fake/ routes open to anyone who reaches the ports, even beyond loopback.",
)
@click.option(
    "--realtime", is_flag=True, help="Run cycles on the wall clock instead of a virtual one."
)
@click.option(
    "--speed",
    type=click.FloatRange(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="With --realtime: how many times faster than the wall clock.",
)
@click.option(
    "--server",
    type=click.Choice(SERVER_KINDS),
    default=PRODUCTION_SERVER,
    show_default=True,
    help="The WSGI server.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=2),
    default=8,
    show_default=True,
    help="Worker threads per server.",
)
@click.option(
    "--tls",
    is_flag=True,
    help="Serve both fakes over HTTPS with a CA made for this run (the ready file's ca_bundle); "
    "the ready file also names the identity authority and an admin client's id and secret.",
)
@click.option(
    "--tls-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="With --tls: write ca.pem and the server certificate here (default: a temporary "
    "directory removed on exit).",
)
@click.option(
    "--strict-auth",
    is_flag=True,
    help="Check client secrets at the token endpoint and Microsoft Graph application "
    "permissions on every Graph route (default: any secret and any bearer token pass).",
)
def serve(
    host: str,
    graph_port: int,
    miro_port: int,
    start_job: bool,
    empty: bool,
    seed: int,
    users: int,
    groups: int,
    miro_token: str,
    ready_file: Path | None,
    state_file: Path | None,
    realtime: bool,
    speed: float,
    server: str,
    threads: int,
    save_every: float,
    control_token: str | None,
    insecure_control_plane: bool,
    tls: bool,
    tls_dir: Path | None,
    strict_auth: bool,
) -> None:
    """Run the Graph fake, the Miro fake and the provisioning engine as real servers."""
    if not miro_token.strip():
        raise click.BadParameter("the token must not be empty", param_hint="--miro-token")
    if speed != 1.0 and not realtime:
        raise click.BadParameter("--speed needs --realtime", param_hint="--speed")
    if control_token is not None and not re.fullmatch(r"[!-~]{16,}", control_token):
        raise click.BadParameter(
            "use at least 16 visible ASCII characters (it travels in a header)",
            param_hint="--control-token",
        )
    if control_token and insecure_control_plane:
        raise click.BadParameter(
            "a control token and an open control plane exclude each other",
            param_hint="--insecure-control-plane",
        )
    if tls_dir is not None and not tls:
        raise click.BadParameter("--tls-dir needs --tls", param_hint="--tls-dir")
    if tls and server == "waitress":
        raise click.BadParameter(
            "waitress serves no TLS: use cheroot or werkzeug", param_hint="--tls"
        )
    if graph_port and graph_port == miro_port:
        raise click.BadParameter("the two fakes need different ports", param_hint="--miro-port")
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the engine's calls show on the fakes
    config = ServeConfig(
        host=host,
        graph_port=graph_port,
        miro_port=miro_port,
        start=start_job,
        empty=empty,
        seed=seed,
        users=users,
        groups=groups,
        miro_token=miro_token,
        ready_file=ready_file,
        state_file=state_file,
        realtime=realtime,
        speed=speed,
        server=server,
        threads=threads,
        save_every=save_every,
        control_token=control_token,
        insecure_control_plane=insecure_control_plane,
        tls=tls,
        tls_dir=tls_dir,
        strict_auth=strict_auth,
    )
    harness = ServedHarness(config)
    _install_signal_handlers(harness)
    try:
        harness.start()
    except (ServerStartError, StateFileError) as exc:
        raise click.ClickException(str(exc)) from exc
    info = harness.ready_info()
    click.echo(
        f"Graph fake:  {info['graph_url']}\n"
        f"Miro fake:   {info['miro_url']}  (token {info['miro_token']})\n"
        f"Job:         {info['job_id']} on service principal {info['service_principal_id']}"
        f" ({'started' if start_job else 'not started'})\n"
        f"Clock:       {info['clock_url']} ({'real time x' + str(speed) if realtime else 'virtual'})\n"
        f"Control:     {_control_line(info)}\n"
        + (
            f"Identity:    {info['authority']}  client {info['client_id']}\n"
            if "authority" in info
            else ""
        )
        + (f"CA bundle:   {info['ca_bundle']}\n" if "ca_bundle" in info else "")
        + "Press Ctrl-C to stop.",
        err=False,
    )
    try:
        harness.wait()
    finally:
        harness.close()
        log.info("stopped")
