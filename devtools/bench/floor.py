"""The floor of "Rasa plus one action round trip": the same trained model under stock ``rasa run``
with the REST channel, and an action server that answers every action at once with nothing.

``python -m devtools.bench.floor actions --port N`` runs the trivial action server (Sanic, which
Rasa already depends on); ``floor_services()`` gives the two services for a ``Stack``. Rasa keeps
its stock defaults (in-memory tracker and lock store); the only file we hand it is an endpoints
file naming the trivial action server and a credentials file with the REST channel.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rasa_project.runner import Service, _bin


def write_config(work_dir: Path, action_port: int) -> tuple[Path, Path]:
    work_dir.mkdir(parents=True, exist_ok=True)
    endpoints, credentials = work_dir / "floor-endpoints.yml", work_dir / "floor-credentials.yml"
    endpoints.write_text(f"action_endpoint:\n  url: http://127.0.0.1:{action_port}/webhook\n", encoding="utf-8")
    credentials.write_text("rest: {}\n", encoding="utf-8")
    return endpoints, credentials


def floor_services(work_dir: Path, model: Path, *, rasa_port: int, action_port: int) -> list[Service]:
    endpoints, credentials = write_config(work_dir, action_port)
    return [
        Service("floor-actions", [sys.executable, "-m", "devtools.bench.floor", "actions", "--port", str(action_port)],
                ready_url=f"http://127.0.0.1:{action_port}/health"),
        Service("floor-rasa", [_bin("rasa"), "run", "--model", str(model), "--port", str(rasa_port),
                               "--interface", "127.0.0.1", "--endpoints", str(endpoints),
                               "--credentials", str(credentials), "--enable-api"],
                ready_url=f"http://127.0.0.1:{rasa_port}/"),
    ]


def trivial_action_app():
    from sanic import Sanic, response

    app = Sanic("bench_floor_actions")

    @app.get("/health")
    async def health(_request):
        return response.json({"status": "ok"})

    @app.post("/webhook")
    async def webhook(_request):
        return response.json({"events": [], "responses": []})

    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.bench.floor")
    parser.add_argument("what", choices=["actions"])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    trivial_action_app().run(host="127.0.0.1", port=args.port, workers=1, access_log=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
