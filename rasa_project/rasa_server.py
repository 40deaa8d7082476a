"""``python -m rasa_project.rasa_server <rasa run arguments>``: ``rasa run`` with its HTTP API behind
the token from settings.

The token is handed to rasa in memory (``--auth-token`` in ``sys.argv`` of this process, after it
started), never on a command line another user could read in ``ps``. With
``settings.rasa_enable_api`` false the API is off altogether. Either way the server answers only
after the model is loaded (Sanic opens the socket after rasa's ``before_server_start`` listener),
so the runner polls the DingTalk channel's health route, which needs no token.
"""

from __future__ import annotations

import sys


def rasa_argv(settings, args: list[str]) -> list[str]:
    argv = ["rasa", "run", *args]
    if settings.rasa_enable_api:
        token = settings.rasa_api_token.get_secret_value()
        if not token:
            raise ValueError("the Rasa HTTP API needs rasa_api_token (or rasa_enable_api=false)")
        argv += ["--enable-api", "--auth-token", token]
    return argv


def endpoint_env(settings) -> dict[str, str]:
    """The variables endpoints*.yml read that are not settings themselves: the action server's URL,
    and the pieces of the tracker database URL Rasa's SQL tracker store wants one by one."""
    env = {"DINGK3_ACTION_URL": settings.action_endpoint_url,
           "DINGK3_TRACKER_DB": str(settings.var_dir / "tracker.db")}
    if settings.tracker_url:
        from sqlalchemy.engine import make_url

        url = make_url(settings.tracker_url)
        env.update({
            "DINGK3_TRACKER_PG_HOST": url.host or "127.0.0.1",
            "DINGK3_TRACKER_PG_PORT": str(url.port or 5432),
            "DINGK3_TRACKER_PG_DB": url.database or "dingk3",
            "DINGK3_TRACKER_PG_USER": url.username or "",
            "DINGK3_TRACKER_PG_PASSWORD": url.password or "",
            "DINGK3_TRACKER_PG_SSLMODE": url.query.get("sslmode", "prefer"),
        })
    return env


def endpoints_file(settings) -> str:
    """Shared stores (PostgreSQL tracker, Redis lock) when both are configured, else the embedded ones."""
    shared = settings.tracker_url and settings.redis_url
    return str(settings.project_root / ("endpoints.production.yml" if shared else "endpoints.yml"))


def main() -> None:
    import os

    from rasa_project.settings import get_settings

    settings = get_settings()
    os.environ.update(endpoint_env(settings))  # for rasa's ${...} in the endpoints file, not for us
    if settings.rasa_metrics_port:
        from rasa_project import metrics

        metrics.serve(settings.rasa_metrics_port, host=settings.rasa_host)
    args = sys.argv[1:]
    if "--endpoints" not in args:
        args += ["--endpoints", endpoints_file(settings)]
    sys.argv = rasa_argv(settings, args)
    from rasa_project import rasa_offload

    rasa_offload.install(settings.rasa_graph_threads)  # acks and other turns never wait behind a model run
    from rasa_project import action_retry

    action_retry.install(settings.action_call_retries)  # a killed action server does not silence a turn
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
