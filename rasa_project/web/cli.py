"""`dingk3 web`: the manager's dashboard on ``web_host:web_port`` (started by `dingk3 run` and `make demo`)."""

from __future__ import annotations

import logging


def serve(args) -> int:
    import uvicorn

    from rasa_project.web.app import create_app
    from rasa_project.wiring import current

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per K/3 page read is not news
    wiring = current()
    settings = wiring.settings
    app = create_app(wiring)
    uvicorn.run(app, host=args.host or settings.web_host, port=int(args.port or settings.web_port),
                log_level="warning", access_log=False, ws="none",
                timeout_graceful_shutdown=2)  # open live pages (SSE) never finish by themselves
    return 0


def register(sub) -> None:
    p = sub.add_parser("web", help="the manager's dashboard (web pages), on web_host:web_port")
    p.add_argument("--host", help="bind address (default: the web_host setting)")
    p.add_argument("--port", type=int, help="port (default: the web_port setting)")
    p.set_defaults(func=serve)
