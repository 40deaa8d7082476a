"""`python -m devtools sim k3`: serve the K/3 Cloud simulator with uvicorn."""

from __future__ import annotations

from pathlib import Path


def register(which) -> None:
    parser = which.add_parser("k3", help="run the K/3 Cloud WebAPI simulator")
    parser.add_argument("--host", default=None, help="bind address (default settings.k3_sim_host)")
    parser.add_argument("--port", type=int, default=None, help="port (default settings.k3_sim_port)")
    parser.add_argument("--db", type=Path, default=None, help="SQLite state file (default var/k3sim.db)")
    parser.add_argument("--reset", action="store_true", help="wipe the state and reseed from the fixture")
    parser.set_defaults(func=run)


def run(args) -> int:
    import uvicorn

    from devtools.simulators.k3cloud import create_app
    from rasa_project.settings import get_settings

    settings = get_settings()
    app = create_app(settings, db_path=args.db or settings.k3_sim_db_path, reset=args.reset)
    uvicorn.run(app, host=args.host or settings.k3_sim_host, port=args.port or settings.k3_sim_port,
                log_level=settings.log_level.lower(), ws="none")  # fmt: skip  # websockets<12 (rasa pin)
    return 0
