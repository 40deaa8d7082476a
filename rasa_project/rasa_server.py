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


def main() -> None:
    from rasa_project.settings import get_settings

    sys.argv = rasa_argv(get_settings(), sys.argv[1:])
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
