"""`make prod-local`: the production topology on one machine, as processes (issue 17 items 3-4).

  nginx :8080  ──▶  Rasa ×2 (5005, 5006)  ──▶  nginx :8081  ──▶  action servers ×2 (5055, 5056)
    └─ /webhooks/dingtalk/webhook, /card ──▶  ingress ×2 (5010, 5011) ──(hand-off)──▶ Rasa ×2
                    └── tracker store: PostgreSQL (a throwaway database of its own, dropped at exit)
                    └── lock store, msgId dedupe: Redis (a database number of its own, flushed at exit)
  workers ×2 (outbox sends, approvals, OA inbox: claimed by compare-and-set row moves and leases)
  K/3 simulator :8801, DingTalk simulator :8802 (posts callbacks to nginx :8080), slapd :3890

The DingTalk channel is reachable through the load balancer at
``http://127.0.0.1:8080/webhooks/dingtalk/webhook``: nginx sends robot and card callbacks to the
callback ingresses (connectors/ingress.py: verified, recorded, answered outside Rasa), which hand
each admitted message to one of the Rasa servers directly (loopback, the next one when a server
refuses the connection); everything else (/events, Rasa's API) goes to the Rasa servers. Everything binds 127.0.0.1; Ctrl-C stops it all.
PostgreSQL and Redis are the machine's own (127.0.0.1:5432 trust, 127.0.0.1:6379). nginx is
Debian's package (``bash scripts/bootstrap.sh prod-local`` installs it).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

from devtools.stack import DEMO_ANCHOR, demo_env, simulator_services
from rasa_project import db
from rasa_project.runner import Service, Stack, serve
from rasa_project.settings import PROJECT_ROOT, Settings

NGINX = "/usr/sbin/nginx"
PG_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


@dataclass
class Ports:
    lb: int = 8080
    actions_lb: int = 8081
    rasa: list[int] = field(default_factory=lambda: [5005, 5006])
    actions: list[int] = field(default_factory=lambda: [5055, 5056])
    ingress: list[int] = field(default_factory=lambda: [5010, 5011])
    k3: int = 8801
    dingtalk: int = 8802
    ldap: int = 3890

    @classmethod
    def free(cls) -> Ports:
        """Every port a free loopback one (tests and the reliability run)."""
        from devtools.bench.harness import free_port

        return cls(lb=free_port(), actions_lb=free_port(), rasa=[free_port(), free_port()],
                   actions=[free_port(), free_port()], k3=free_port(), dingtalk=free_port(), ldap=free_port(),
                   ingress=[free_port(), free_port()])


def nginx_conf(prefix: Path, ports: Ports) -> str:
    def upstream(name: str, backends: list[int]) -> str:
        servers = "\n".join(f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=3s;" for p in backends)
        return f"  upstream {name} {{\n{servers}\n    keepalive 16;\n  }}"

    user = "user root;\n" if os.geteuid() == 0 else ""
    proxy = """      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Request-Id $request_id;
      proxy_read_timeout 120s;
      # fail over only when the request never reached a replica (connection refused / reset before
      # sending): POSTs are not re-sent after they were delivered (no non_idempotent), so an action
      # call or a callback is never run twice by the load balancer
      proxy_next_upstream error timeout;"""
    return f"""{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log {prefix}/access.log;
  client_body_temp_path {prefix}/tmp/body;
  proxy_temp_path {prefix}/tmp/proxy;
  fastcgi_temp_path {prefix}/tmp/fastcgi;
  uwsgi_temp_path {prefix}/tmp/uwsgi;
  scgi_temp_path {prefix}/tmp/scgi;
  client_max_body_size 2m;
{upstream("rasa", ports.rasa)}
{upstream("actions", ports.actions)}
{upstream("ingress", ports.ingress)}
  server {{
    listen 127.0.0.1:{ports.lb};
    location = /nginx-health {{ return 200 "ok\\n"; }}
    # DingTalk's HTTP callbacks: answered by the ingresses, outside the Rasa processes (issue 18)
    location = /webhooks/dingtalk/webhook {{
      proxy_pass http://ingress;
{proxy}
    }}
    location = /webhooks/dingtalk/card {{
      proxy_pass http://ingress;
{proxy}
    }}
    # the ingress's hand-off route on the Rasa servers is for the ingresses (loopback), never from outside
    location ^~ /webhooks/dingtalk/internal/ {{ return 404; }}
    location / {{
      proxy_pass http://rasa;
{proxy}
    }}
  }}
  server {{
    listen 127.0.0.1:{ports.actions_lb};
    location / {{
      proxy_pass http://actions;
{proxy}
    }}
  }}
}}
"""


class Topology(Stack):
    """A Stack whose services may each add variables of their own (a replica's port)."""

    def __init__(self, settings: Settings, services: list[Service], env: dict, per_service: dict[str, dict]):
        super().__init__(settings, services, env=env)
        self.per_service = per_service

    def _spawn(self, svc: Service) -> None:
        base = self.env
        self.env = {**base, **self.per_service.get(svc.name, {})}
        try:
            super()._spawn(svc)
        finally:
            self.env = base

    def kill(self, name: str) -> None:
        """kill -9 one service (fault tests)."""
        svc = self.service(name)
        if svc.process and svc.process.poll() is None:
            svc.process.kill()
            svc.process.wait(timeout=15)


def create_database(prefix: str = "dingk3_prodlocal") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = db.make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    db.migrate(url)
    return url


def drop_database(url: str) -> None:
    name = database_name(url)
    admin = db.make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def cut_database(url: str) -> int:
    """The throwaway database's outage (the machine's PostgreSQL is shared, so it is not restarted):
    new connections refused (``ALLOW_CONNECTIONS false``) and every open one ended
    (``pg_terminate_backend``). Returns how many backends were ended."""
    name = database_name(url)
    admin = db.make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        ended = conn.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name}).scalar()
    admin.dispose()
    return int(ended or 0)


def restore_database(url: str) -> None:
    admin = db.make_engine(PG_ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{database_name(url)}" ALLOW_CONNECTIONS true'))
    admin.dispose()


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def free_redis_db(port: int = 6379) -> int:
    """A Redis database number with no keys (the caller flushes it at the end)."""
    import redis

    for number in range(8, 16):
        if redis.Redis(port=port, db=number).dbsize() == 0:
            return number
    raise RuntimeError("no empty Redis database among 8..15")


def topology(var_dir: Path, model: Path, *, ports: Ports, database_url: str, redis_url: str,
             settings_extra: dict | None = None) -> Topology:
    settings = Settings(
        env="test", var_dir=var_dir, clock_anchor=DEMO_ANCHOR, database_url=database_url, redis_url=redis_url,
        k3_sim_port=ports.k3, k3_base_url=f"http://127.0.0.1:{ports.k3}/k3cloud/",
        dingtalk_sim_port=ports.dingtalk, dingtalk_openapi_url=f"http://127.0.0.1:{ports.dingtalk}",
        ldap_url=f"ldap://127.0.0.1:{ports.ldap}", rasa_port=ports.rasa[0], action_port=ports.actions[0],
        action_url=f"http://127.0.0.1:{ports.actions_lb}/webhook",
        **(settings_extra or {}),
    )
    prefix = var_dir / "nginx"
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (prefix / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(nginx_conf(prefix, ports))
    services = simulator_services(settings)
    per_service: dict[str, dict] = {}
    for i, port in enumerate(ports.actions, 1):
        services.append(Service(f"actions{i}", [sys.executable, "-m", "actions.server"],
                                ready_url=f"http://127.0.0.1:{port}/health"))
        per_service[f"actions{i}"] = {"DINGK3_ACTION_PORT": str(port)}
    dingk3 = str(Path(sys.executable).parent / "dingk3")
    for i in (1, 2):
        services.append(Service(f"worker{i}", [dingk3, "worker"]))
    services.append(Service("nginx", [NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                            ready_url=f"http://127.0.0.1:{ports.lb}/nginx-health"))
    for i, port in enumerate(ports.rasa, 1):
        services.append(Service(
            f"rasa{i}",
            [sys.executable, "-m", "rasa_project.rasa_server", "--model", str(model), "--port", str(port),
             "--interface", "127.0.0.1", "--credentials", str(PROJECT_ROOT / "credentials.yml")],
            ready_url=f"http://127.0.0.1:{port}/webhooks/dingtalk/"))
        per_service[f"rasa{i}"] = {"DINGK3_RASA_PORT": str(port)}
    rasa_urls = json.dumps([f"http://127.0.0.1:{port}" for port in ports.rasa])
    for i, port in enumerate(ports.ingress, 1):
        services.append(Service(f"ingress{i}", [sys.executable, "-m", "connectors.ingress"],
                                ready_url=f"http://127.0.0.1:{port}/webhooks/dingtalk/"))
        per_service[f"ingress{i}"] = {"DINGK3_INGRESS_PORT": str(port), "DINGK3_INGRESS_RASA_URLS": rasa_urls}
    env = demo_env(settings, {"DINGK3_DINGTALK_BOT_WEBHOOK_URL": f"http://127.0.0.1:{ports.lb}/webhooks/dingtalk/webhook"})
    return Topology(settings, services, env, per_service)


def banner(ports: Ports, database_url: str, redis_url: str, var_dir: Path) -> str:
    return "\n".join([
        "",
        "DingK3 production topology on this machine (Ctrl-C stops everything):",
        f"  DingTalk channel (nginx)      : http://127.0.0.1:{ports.lb}/webhooks/dingtalk/webhook",
        f"  Rasa replicas                 : {', '.join(f'http://127.0.0.1:{p}' for p in ports.rasa)}",
        f"  Callback ingresses            : {', '.join(f'http://127.0.0.1:{p}' for p in ports.ingress)}",
        f"  Action servers (nginx :{ports.actions_lb})  : {', '.join(f'http://127.0.0.1:{p}' for p in ports.actions)}",
        "  Workers                       : 2",
        f"  PostgreSQL (throwaway)        : {database_url}",
        f"  Redis                         : {redis_url}",
        f"  Chat page (DingTalk simulator): http://127.0.0.1:{ports.dingtalk}/",
        f"  K/3 Cloud simulator           : http://127.0.0.1:{ports.k3}/k3cloud/",
        f"  Logs                          : {var_dir / 'logs'}",
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make prod-local", description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model archive (default: train or reuse the cached one)")
    parser.add_argument("--redis-db", type=int, default=5, help="Redis database number (flushed at exit)")
    args = parser.parse_args(argv)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if not Path(NGINX).exists():
        print("nginx is missing: run `bash scripts/bootstrap.sh prod-local` (as root) or "
              "`sudo apt-get install -y nginx`", file=sys.stderr)
        return 2
    from rasa_project.nlu.training import ensure_model

    model = Path(args.model) if args.model else ensure_model()
    var_dir = PROJECT_ROOT / "var" / "prod-local"
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    ports = Ports()
    print("Creating a throwaway PostgreSQL database and migrating it ...", flush=True)
    database_url = create_database()
    redis_url = f"redis://127.0.0.1:6379/{args.redis_db}"
    try:
        stack = topology(var_dir, model, ports=ports, database_url=database_url, redis_url=redis_url)
        return serve(stack, banner(ports, database_url, redis_url, var_dir))
    finally:
        drop_database(database_url)
        flush_redis(redis_url)


if __name__ == "__main__":
    sys.exit(main())
