"""Start the whole system in one process group: `dingk3 run` / `dingk3 demo`.

Services (each a child process, all in our process group; Ctrl-C or SIGTERM stops them all):
  K/3 simulator :8801, DingTalk simulator :8802, slapd :3890, action server :5055, approval
  worker, Rasa :5005.
Ports and paths come from Settings; the children get them as DINGK3_* variables so every
process sees the same configuration. Production starts only the action server and Rasa
(`--no-simulators`), pointed at the real K/3, DingTalk and LDAP by settings.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

import httpx
from pydantic import SecretStr

from rasa_project.settings import Settings, get_settings

log = logging.getLogger(__name__)

DEMO_ANCHOR = "2025-04-01T09:00:00+08:00"


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
    if settings.env != "production":  # the simulators stand in for K/3 and DingTalk
        env["DINGK3_K3_BASE_URL"] = f"http://{settings.k3_sim_host}:{settings.k3_sim_port}/k3cloud/"
        env["DINGK3_DINGTALK_OPENAPI_URL"] = f"http://{settings.dingtalk_sim_host}:{settings.dingtalk_sim_port}"
    env.update(
        {
            "DINGK3_DINGTALK_BOT_WEBHOOK_URL": f"http://{settings.rasa_host}:{settings.rasa_port}/webhooks/dingtalk/webhook",
            "DINGK3_ACTION_URL": f"http://{settings.action_host}:{settings.action_port}/webhook",  # endpoints.yml
            "DINGK3_TRACKER_DB": str(settings.var_dir / "tracker.db"),  # endpoints.yml
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "LOG_LEVEL_LIBRARIES": "ERROR",
            "PYTHONUNBUFFERED": "1",
            "SANIC_NO_UVLOOP": "true",
        }
    )
    env.update(extra or {})
    return env


def plan(settings: Settings, model: Path, *, simulators: bool = True) -> list[Service]:
    root = settings.project_root
    dingk3 = _bin("dingk3")
    rasa = _bin("rasa")
    services: list[Service] = []
    if simulators:
        ldap = urlparse(settings.ldap_url)
        services += [
            Service(
                "k3-sim",
                [dingk3, "sim", "k3", "--host", settings.k3_sim_host, "--port", str(settings.k3_sim_port)],
                ready_url=f"http://{settings.k3_sim_host}:{settings.k3_sim_port}/k3cloud/_sim/health",
            ),
            Service(
                "dingtalk-sim",
                [dingk3, "sim", "dingtalk", "--host", settings.dingtalk_sim_host, "--port", str(settings.dingtalk_sim_port)],
                ready_url=f"http://{settings.dingtalk_sim_host}:{settings.dingtalk_sim_port}/_sim/messages",
            ),
            Service(
                "slapd",
                [dingk3, "ldap", "serve", "--port", str(ldap.port), "--workdir", str(settings.var_dir / "slapd")],
                ready_tcp=(ldap.hostname or "127.0.0.1", ldap.port or 389),
            ),
        ]
    endpoints = root / ("endpoints.production.yml" if settings.env == "production" else "endpoints.yml")
    services += [
        Service(
            "actions",
            [rasa, "run", "actions", "--actions", "actions", "--port", str(settings.action_port)],
            ready_url=f"http://{settings.action_host}:{settings.action_port}/health",
        ),
        Service("worker", [dingk3, "worker"]),  # approval reminders / expiry, notification retries
        Service(
            "rasa",
            [
                rasa, "run", "--model", str(model), "--port", str(settings.rasa_port),
                "--interface", settings.rasa_host, "--credentials", str(root / "credentials.yml"),
                "--endpoints", str(endpoints), "--enable-api",
            ],
            ready_url=f"http://{settings.rasa_host}:{settings.rasa_port}/status",
        ),
    ]
    return services


class Stack:
    """The running system; a context manager that always stops what it started."""

    def __init__(self, settings: Settings, model: Path, *, simulators: bool = True, env_extra: dict | None = None):
        self.settings = settings
        self.services = plan(settings, model, simulators=simulators)
        self.env = child_env(settings, env_extra)
        self.log_dir = settings.var_dir / "logs"

    def start(self, timeout_s: float = 240.0) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for svc in self.services:
            svc.log_path = self.log_dir / f"{svc.name}.log"
            self._spawn(svc)
            # Rasa needs the action server and the simulators up only at the first turn,
            # but waiting per service keeps start-up failures easy to read.
            if svc.name not in ("actions", "worker"):
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


def _banner(settings: Settings) -> str:
    sim = f"http://{settings.dingtalk_sim_host}:{settings.dingtalk_sim_port}"
    return "\n".join(
        [
            "",
            "DingK3 Assistant is running (Ctrl-C stops everything):",
            f"  Chat page (DingTalk simulator) : {sim}/",
            f"  Manager phone page            : {sim}/phone",
            f"  K/3 Cloud simulator           : http://{settings.k3_sim_host}:{settings.k3_sim_port}/k3cloud/",
            f"  Rasa + DingTalk channel       : http://{settings.rasa_host}:{settings.rasa_port}/webhooks/dingtalk/webhook",
            f"  Action server                 : http://{settings.action_host}:{settings.action_port}/webhook",
            f"  LDAP (slapd)                  : {settings.ldap_url}",
            f"  Logs                          : {settings.var_dir / 'logs'}",
            "",
            "Talk to the bot as pmc0001 in group cidPMC0001 (or open the chat page):",
            (
                f"  curl -s {sim}/_sim/chat -H 'content-type: application/json' "
                """-d '{"conversation_id":"cidPMC0001","staff_id":"pmc0001","text":"创建生产订单 BOM-2050 数量 300，4月10日完工，标准生产订单，冲压车间"}'"""
            ),
            f"  curl -s '{sim}/_sim/messages?conversation_id=cidPMC0001'",
            "",
        ]
    )


def run(args) -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # readiness polling is not news
    settings = get_settings()
    if args.demo and settings.clock_anchor is None:
        settings = settings.copy(update={"clock_anchor": Settings(clock_anchor=DEMO_ANCHOR).clock_anchor})
    from rasa_project.nlu.training import ensure_model

    model = Path(args.model) if args.model else ensure_model()
    stack = Stack(settings, model, simulators=not args.no_simulators)
    stopping = False

    def _stop(_signo, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        print("Starting services (loading the model takes ~20-30 s) ...", flush=True)
        stack.start()
        print(_banner(settings), flush=True)
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


def show_settings(_args) -> int:
    import json

    print(json.dumps(get_settings().safe_dict(), indent=2, default=str, ensure_ascii=False))
    return 0


def register(sub) -> None:
    for name, demo in (("run", False), ("demo", True)):
        p = sub.add_parser(name, help="start the whole system" + (" on the demo clock" if demo else ""))
        p.add_argument("--model", help="model archive (default: train or reuse the cached one)")
        p.add_argument("--no-simulators", action="store_true", help="production: real K/3, DingTalk, LDAP")
        p.set_defaults(func=run, demo=demo)
    p = sub.add_parser("settings", help="print the effective settings (secrets masked)")
    p.set_defaults(func=show_settings)
