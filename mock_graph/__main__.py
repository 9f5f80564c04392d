"""Serve the Graph fake on its own: ``python -m mock_graph --port 5055 --users 25 --tricky``."""

from __future__ import annotations

import argparse

from werkzeug.serving import run_simple

from mock_graph.app import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mock_graph", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5055, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=None, help="seed a Faker tenant with this seed")
    parser.add_argument("--users", type=int, default=25)
    parser.add_argument("--groups", type=int, default=3)
    parser.add_argument("--tricky", action="store_true", help="add the tricky users")
    parser.add_argument(
        "--strict-auth",
        action="store_true",
        help="accept only tokens from the fake's token endpoint",
    )
    parser.add_argument("--tenant-id", default=None)
    args = parser.parse_args(argv)
    app = create_app(strict_auth=args.strict_auth, tenant_id=args.tenant_id)
    if args.seed is not None:
        app.extensions["mock_graph"].seed(
            args.seed, users=args.users, groups=args.groups, tricky=args.tricky
        )
    run_simple(args.host, args.port, app, threaded=True)


if __name__ == "__main__":
    main()
