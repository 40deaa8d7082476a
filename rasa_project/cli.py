"""`dingk3`: the one command a person runs.

Each domain registers its own sub-commands in its own module (``register(subparsers)``);
this file only lists them, so adding a command never means editing another domain's code.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

# module path -> exposes register(subparsers)
COMMAND_MODULES = [
    "rasa_project.runner",  # run / settings
    "rasa_project.nlu.cli",  # parse, data check, train, nlu-test
    "rasa_project.authz.cli",  # whois
    "rasa_project.audit.cli",  # audit verify|show
    "rasa_project.worker_cli",  # worker: approval reminders/expiry, recovery, notification retries
    "rasa_project.planning.cli",  # risk predict | reschedule
    "rasa_project.review.cli",  # review: the trainers' inbox and annotation
    "rasa_project.web.cli",  # web: the manager's dashboard
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dingk3", description="DingK3 Assistant")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from rasa_project.production import ProductionSettingsError
    from rasa_project.settings import get_settings

    try:
        settings = get_settings()
    except ProductionSettingsError as error:
        print(error, file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from rasa_project import logs

    logs.install(settings, "dingk3")  # request ids (and JSON lines with DINGK3_LOG_FORMAT=json)
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
