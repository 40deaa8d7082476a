"""Start the product's processes in one process group: `dingk3 run`.

Services (each a child process, all in our process group; Ctrl-C or SIGTERM stops them all):
action server :5055, worker, Rasa :5005, pointed at K/3, DingTalk and LDAP by settings.
Ports and paths come from Settings; the children get them as DINGK3_* variables so every
process sees the same configuration. The demo (`make demo`, ``python -m devtools demo``) puts
the simulators and a local slapd in front of the same plan (devtools/stack.py).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from pydantic import SecretStr

from rasa_project.progress import Progress, log_tail
from rasa_project.rasa_server import endpoint_env, endpoints_file
from rasa_project.settings import Settings, get_settings

log = logging.getLogger(__name__)

@dataclass
class Service:
    name: str
    argv: list[str]
    ready_url: str | None = None  # HTTP GET answering < 500 means ready
    ready_tcp: tuple[str, int] | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)
    log_path: Path | None = None


def _bin(name: str) -> str:
    """A console script of this venv (dingk3, rasa)."""
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def _env_value(value) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, (list, dict)):  # pydantic reads complex settings from the environment as JSON
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def child_env(settings: Settings, extra: dict | None = None) -> dict:
    """Environment for every child: the parent's, plus every setting as DINGK3_*, so all processes
    share one configuration (secrets pass through the environment, never through argv or logs)."""
    env = dict(os.environ)
    for name, value in settings.dict().items():
        if value is not None:
            env[f"DINGK3_{name.upper()}"] = _env_value(value)
    env.update(
        {
            "DINGK3_DINGTALK_BOT_WEBHOOK_URL": f"http://{settings.rasa_host}:{settings.rasa_port}/webhooks/dingtalk/webhook",
            **endpoint_env(settings),  # endpoints*.yml (the Rasa launcher derives them again itself)
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "LOG_LEVEL_LIBRARIES": "ERROR",
            "PYTHONUNBUFFERED": "1",
            "SANIC_NO_UVLOOP": "true",
        }
    )
    env.update(extra or {})
    return env


def plan(settings: Settings, model: Path) -> list[Service]:
    """The product's own processes: action server, worker, Rasa (in start order)."""
    root = settings.project_root
    dingk3 = _bin("dingk3")
    services: list[Service] = []
    endpoints = endpoints_file(settings)
    services += [
        # Our launchers: the action server takes calls with the action-server token only and binds
        # action_host; Rasa gets its API token in memory (rasa_project/rasa_server.py), never in argv.
        Service(
            "actions",
            [sys.executable, "-m", "actions.server"],
            ready_url=f"http://{settings.action_host}:{settings.action_port}/health",
        ),
        Service("worker", [dingk3, "worker"]),  # approval reminders / expiry, notification retries, anchors
        Service("web", [dingk3, "web"], ready_url=f"http://{settings.web_host}:{settings.web_port}/health"),
        Service(
            "rasa",
            [
                sys.executable, "-m", "rasa_project.rasa_server", "--model", str(model),
                "--port", str(settings.rasa_port), "--interface", settings.rasa_host,
                "--credentials", str(root / "credentials.yml"), "--endpoints", endpoints,
            ],
            # the channel's health route: no token, and served only once the model is loaded
            ready_url=f"http://{settings.rasa_host}:{settings.rasa_port}/webhooks/dingtalk/",
        ),
    ]
    return services


class Stack:
    """The running system; a context manager that always stops what it started."""

    def __init__(self, settings: Settings, services: list[Service], *, env: dict | None = None):
        self.settings = settings
        self.services = services
        self.env = env if env is not None else child_env(settings)
        self.log_dir = settings.var_dir / "logs"

    def start(self, timeout_s: float = 240.0) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for svc in self.services:
            svc.log_path = self.log_dir / f"{svc.name}.log"
            self._spawn(svc)
            # Rasa needs the action server and the simulators up only at the first turn,
            # but waiting per service keeps start-up failures easy to read.
            if svc.name not in ("actions", "worker", "web"):
                self._wait(svc, timeout_s)
        for svc in self.services:
            self._wait(svc, timeout_s)

    def _spawn(self, svc: Service) -> None:
        with open(svc.log_path, "ab") as fh:  # the child keeps its own copy of the descriptor
            svc.process = subprocess.Popen(
                svc.argv, cwd=self.settings.project_root, env=self.env, stdout=fh, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def _wait(self, svc: Service, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        if _is_ready(svc):
            return
        # Rasa loading its model takes a while: say so, with the service log's last line
        with Progress(f"starting {svc.name}", detail=log_tail(svc.log_path)):
            while time.monotonic() < deadline:
                if svc.process and svc.process.poll() is not None:
                    raise RuntimeError(f"{svc.name} exited with {svc.process.returncode}; see {svc.log_path}")
                if _is_ready(svc):
                    return
                time.sleep(0.3)
            raise TimeoutError(f"{svc.name} not ready after {timeout_s:.0f}s; see {svc.log_path}")

    def stop(self) -> None:
        for svc in reversed(self.services):
            if svc.process and svc.process.poll() is None:
                svc.process.terminate()
        for svc in reversed(self.services):
            if svc.process:
                try:
                    svc.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    svc.process.kill()
                    svc.process.wait()

    def stop_service(self, name: str) -> None:
        svc = self.service(name)
        if svc.process and svc.process.poll() is None:
            svc.process.terminate()
            svc.process.wait(timeout=15)

    def start_service(self, name: str, timeout_s: float = 240.0) -> None:
        svc = self.service(name)
        self._spawn(svc)
        self._wait(svc, timeout_s)

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _is_ready(svc: Service) -> bool:
    import socket

    if svc.ready_url:
        try:
            return httpx.get(svc.ready_url, timeout=2.0).status_code < 500
        except httpx.HTTPError:
            return False
    if svc.ready_tcp:
        try:
            with socket.create_connection(svc.ready_tcp, timeout=1.0):
                return True
        except OSError:
            return False
    return True


def banner(settings: Settings, extra: list[str] = ()) -> str:
    return "\n".join(
        [
            "",
            "DingK3 Assistant is running (Ctrl-C stops everything):",
            *extra,
            f"  Rasa + DingTalk channel       : http://{settings.rasa_host}:{settings.rasa_port}/webhooks/dingtalk/webhook",
            f"  Action server                 : http://{settings.action_host}:{settings.action_port}/webhook",
            f"  Manager dashboard (web)       : http://{settings.web_host}:{settings.web_port}/",
            f"  LDAP                          : {settings.ldap_url}",
            f"  Logs                          : {settings.var_dir / 'logs'}",
            "",
        ]
    )


def serve(stack: Stack, text: str) -> int:
    """Start ``stack``, print ``text``, keep running until Ctrl-C / SIGTERM or a service dies."""
    stopping = False

    def _stop(_signo, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        print("Starting services (loading the model takes ~20-30 s) ...", flush=True)
        stack.start()
        print(text, flush=True)
        while not stopping:
            for svc in stack.services:
                if svc.process and svc.process.poll() is not None:
                    print(f"{svc.name} stopped unexpectedly (exit {svc.process.returncode}); see {svc.log_path}")
                    stopping = True
            time.sleep(0.5)
    finally:
        print("Stopping ...", flush=True)
        stack.stop()
    return 0


def run(args) -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # readiness polling is not news
    settings = get_settings()
    from rasa_project.nlu.training import ensure_model

    model = Path(args.model) if args.model else ensure_model()
    return serve(Stack(settings, plan(settings, model)), banner(settings))


def show_settings(_args) -> int:
    import json

    print(json.dumps(get_settings().safe_dict(), indent=2, default=str, ensure_ascii=False))
    return 0


def migrate(_args) -> int:
    """Bring the database to the newest schema (Alembic heads); the Helm chart's migration Job runs it."""
    from rasa_project import db

    settings = get_settings()
    db.migrate(settings.sqlalchemy_url)
    print("database schema is current")
    return 0


def register(sub) -> None:
    p = sub.add_parser("migrate", help="migrate the database to the newest schema (Alembic)")
    p.set_defaults(func=migrate)
    p = sub.add_parser("run", help="start the action server, the worker and Rasa (the demo: make demo)")
    p.add_argument("--model", help="model archive (default: train or reuse the cached one)")
    p.set_defaults(func=run)
    p = sub.add_parser("settings", help="print the effective settings (secrets masked)")
    p.set_defaults(func=show_settings)
