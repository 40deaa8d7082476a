"""`python -m devtools sim dingtalk [--host] [--port] [--bot-url URL]`."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def register(which_subparsers) -> None:
    parser = which_subparsers.add_parser("dingtalk", help="run the DingTalk simulator (chat page at /)")
    parser.add_argument("--host", default=None, help="bind address (default: settings.dingtalk_sim_host)")
    parser.add_argument("--port", type=int, default=None, help="port (default: settings.dingtalk_sim_port)")
    parser.add_argument("--bot-url", default=None, help="robot callback URL (default: settings.dingtalk_bot_webhook_url)")
    parser.set_defaults(func=run)


def run(args) -> int:
    import uvicorn

    from devtools.simulators.dingtalk.app import create_app
    from rasa_project.settings import get_settings

    settings = get_settings()
    if settings.env == "production":
        log.error("the DingTalk simulator is never started in production")
        return 2
    if args.bot_url:
        settings = settings.copy(update={"dingtalk_bot_webhook_url": args.bot_url})
    host = args.host or settings.dingtalk_sim_host
    port = args.port or settings.dingtalk_sim_port
    # ws="wsproto": uvicorn's default websockets backend needs websockets>=13, rasa pins 10.4.
    uvicorn.run(create_app(settings), host=host, port=port, ws="wsproto", log_level="info")
    return 0
