"""The demo and test system: the simulators and a local slapd in front of the product's processes.

``python -m devtools demo`` (``make demo``) and the end-to-end tests run this: K/3 simulator :8801,
DingTalk simulator :8802, slapd :3890, then the product plan of rasa_project/runner.py (action
server, worker, Rasa), then the callback ingress :5010 (connectors/ingress.py) the simulator posts
robot and card callbacks to (``ingress_enabled``). The product itself never starts a simulator.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from urllib.parse import urlparse

from rasa_project.runner import Service, Stack, banner, child_env, plan, serve
from rasa_project.settings import Settings, get_settings

DEMO_ANCHOR = "2025-04-01T09:00:00+08:00"


def _devtools(*args: str) -> list[str]:
    """argv of a devtools command (devtools is not installed with the product: run it from the tree)."""
    return [sys.executable, "-m", "devtools", *args]


def simulator_services(settings: Settings) -> list[Service]:
    ldap = urlparse(settings.ldap_url)
    return [
        Service(
            "k3-sim",
            _devtools("sim", "k3", "--host", settings.k3_sim_host, "--port", str(settings.k3_sim_port)),
            ready_url=f"http://{settings.k3_sim_host}:{settings.k3_sim_port}/k3cloud/_sim/health",
        ),
        Service(
            "dingtalk-sim",
            _devtools("sim", "dingtalk", "--host", settings.dingtalk_sim_host, "--port", str(settings.dingtalk_sim_port)),
            ready_url=f"http://{settings.dingtalk_sim_host}:{settings.dingtalk_sim_port}/_sim/messages",
        ),
        Service(
            "slapd",
            _devtools("ldap", "serve", "--port", str(ldap.port), "--workdir", str(settings.var_dir / "slapd")),
            ready_tcp=(ldap.hostname or "127.0.0.1", ldap.port or 389),
        ),
    ]


def ingress_enabled(settings: Settings) -> bool:
    """HTTP-mode callbacks go to the ingress (connectors/ingress.py), which hands them to Rasa."""
    return settings.ingress_enabled and settings.dingtalk_mode == "http"


def ingress_services(settings: Settings) -> list[Service]:
    """The callback ingress, started after Rasa (it answers DingTalk at once; its hand-offs need Rasa)."""
    if not ingress_enabled(settings):
        return []
    return [Service("ingress", [sys.executable, "-m", "connectors.ingress"],
                    ready_url=f"http://{settings.ingress_host}:{settings.ingress_port}/webhooks/dingtalk/")]


def callback_url(settings: Settings) -> str:
    """Where the DingTalk simulator posts robot callbacks (and, beside it, card callbacks)."""
    if ingress_enabled(settings):
        return f"http://{settings.ingress_host}:{settings.ingress_port}/webhooks/dingtalk/webhook"
    return f"http://{settings.rasa_host}:{settings.rasa_port}/webhooks/dingtalk/webhook"


def demo_env(settings: Settings, extra: dict | None = None) -> dict:
    """The product's child environment, pointed at the simulators."""
    env = child_env(settings)
    env["DINGK3_DINGTALK_BOT_WEBHOOK_URL"] = callback_url(settings)
    env["DINGK3_K3_BASE_URL"] = f"http://{settings.k3_sim_host}:{settings.k3_sim_port}/k3cloud/"
    env["DINGK3_DINGTALK_OPENAPI_URL"] = f"http://{settings.dingtalk_sim_host}:{settings.dingtalk_sim_port}"
    # cards link an OA approval to the simulator's phone page (DingTalk's own approval page in production)
    env["DINGK3_OA_INSTANCE_URL"] = (f"http://{settings.dingtalk_sim_host}:{settings.dingtalk_sim_port}"
                                     "/phone?procInsId={instance_id}&tab=approvals")
    env.update(extra or {})
    return env


class DemoStack(Stack):
    """The demo system; once up, OA approval events are subscribed as in DingTalk's developer console:
    over HTTP (encrypted, check_url first) to the channel when it runs in HTTP mode; in Stream mode
    the channel's own connection subscribes to EVENT frames."""

    def start(self, timeout_s: float = 240.0) -> None:
        super().start(timeout_s)
        if self.settings.dingtalk_mode == "http":
            subscribe_oa_events(self.settings)


def subscribe_oa_events(settings: Settings, url: str | None = None) -> None:
    """``url``: where the channel's event intake is reached (default: the one Rasa server; the
    load balancer when there are replicas)."""
    import httpx

    sim = f"http://{settings.dingtalk_sim_host}:{settings.dingtalk_sim_port}"
    url = url or f"http://{settings.rasa_host}:{settings.rasa_port}/webhooks/dingtalk/events"
    r = httpx.post(f"{sim}/_sim/events/subscription", json={"mode": "http", "url": url}, timeout=30)
    if r.status_code != 200:
        raise RuntimeError(f"OA event subscription refused: {r.text}")


def demo_stack(settings: Settings, model: Path, *, env_extra: dict | None = None) -> Stack:
    """Simulators + slapd + the product, one process group. A private stack (Rasa on a port other than
    the default: tests, bench, the suites) whose ingress is left on the default port gets a free one
    (``settings`` is updated), so two such stacks never meet on it."""
    if (ingress_enabled(settings) and settings.ingress_port == Settings.__fields__["ingress_port"].default
            and settings.rasa_port != Settings.__fields__["rasa_port"].default):
        import socket

        with socket.socket() as s:
            s.bind((settings.ingress_host, 0))
            settings.ingress_port = s.getsockname()[1]
    return DemoStack(settings, simulator_services(settings) + plan(settings, model) + ingress_services(settings),
                     env=demo_env(settings, env_extra))


def demo_banner(settings: Settings) -> str:
    sim = f"http://{settings.dingtalk_sim_host}:{settings.dingtalk_sim_port}"
    lines = [
        f"  Manager dashboard             : http://{settings.web_host}:{settings.web_port}/  (e.g. wang.li / demo-wang.li)",
        f"  Chat page (DingTalk simulator) : {sim}/",
        f"  Manager phone page            : {sim}/phone",
        f"  K/3 Cloud simulator           : http://{settings.k3_sim_host}:{settings.k3_sim_port}/k3cloud/",
    ]
    if ingress_enabled(settings):
        lines.append(f"  DingTalk callbacks (ingress)  : {callback_url(settings)}")
    talk = [
        "Talk to the bot as pmc0001 in group cidPMC0001 (or open the chat page):",
        (
            f"  curl -s {sim}/_sim/chat -H 'content-type: application/json' "
            """-d '{"conversation_id":"cidPMC0001","staff_id":"pmc0001","text":"创建生产订单 BOM-2050 数量 300，4月10日完工，标准生产订单，冲压车间"}'"""
        ),
        f"  curl -s '{sim}/_sim/messages?conversation_id=cidPMC0001'",
        "",
    ]
    return banner(settings, lines) + "\n".join(talk)


def run_demo(args) -> int:
    logging.getLogger("httpx").setLevel(logging.WARNING)  # readiness polling is not news
    settings = get_settings()
    if settings.env == "production":
        print("the demo (simulators, demo credentials) never runs with DINGK3_ENV=production", file=sys.stderr)
        return 2
    if settings.clock_anchor is None:
        settings = settings.copy(update={"clock_anchor": Settings(clock_anchor=DEMO_ANCHOR).clock_anchor})
    from rasa_project.nlu.training import ensure_model

    model = Path(args.model) if args.model else ensure_model()
    return serve(demo_stack(settings, model), demo_banner(settings))


def register(sub) -> None:
    p = sub.add_parser("demo", help="the whole system on the embedded defaults and the simulators")
    p.add_argument("--model", help="model archive (default: train or reuse the cached one)")
    p.set_defaults(func=run_demo)
