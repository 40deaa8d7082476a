"""``python -m devtools``: the developer commands (demo, simulators, local slapd).

Not installed with the product (the wheel holds rasa_project, actions, connectors, dingtalk_client
and k3_client only); run it from the source tree, as `make demo` and the tests do.
"""

from __future__ import annotations

import argparse
import logging
import sys

from rasa_project.settings import get_settings


def build_parser() -> argparse.ArgumentParser:
    from devtools import slapd, stack
    from devtools.simulators import cli as sim_cli

    parser = argparse.ArgumentParser(prog="python -m devtools", description=__doc__)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    stack.register(sub)
    sim_cli.register(sub)
    slapd.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=get_settings().log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
