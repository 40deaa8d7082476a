"""deploy/compose/compose.yaml parses, has the topology's services with two replicas of each of
ours, names only real settings, and takes every secret setting from a secret file, never inline;
its nginx config parses with Debian's nginx."""

from __future__ import annotations

import subprocess

import pytest
import yaml
from pydantic import SecretStr

from devtools.topology.prod_local import NGINX
from rasa_project.settings import PROJECT_ROOT, Settings
from tests.requirements import need

COMPOSE = PROJECT_ROOT / "deploy" / "compose" / "compose.yaml"


def test_the_compose_file_matches_the_settings_and_the_topology():
    doc = yaml.safe_load(COMPOSE.read_text())
    services = doc["services"]
    assert {"postgres", "redis", "migrate", "rasa", "actions", "worker", "nginx"} <= set(services)
    for name in ("rasa", "actions", "worker"):
        assert services[name]["deploy"]["replicas"] >= 2
    known = {f"DINGK3_{n.upper()}" for n in Settings.__fields__}
    secret = {f"DINGK3_{n.upper()}" for n, f in Settings.__fields__.items() if isinstance(f.default, SecretStr)}
    for name in ("migrate", "rasa", "actions", "worker"):
        env = services[name]["environment"]
        assert set(env) <= known, set(env) - known
        assert not set(env) & secret
        assert env["DINGK3_ENV"] == "production" and env["DINGK3_SECRETS_DIR"] == "/run/secrets"
        mounted = set(services[name]["secrets"])
        assert secret <= mounted, secret - mounted
        assert {"DINGK3_DATABASE_URL", "DINGK3_REDIS_URL"} <= mounted
    assert services["migrate"]["command"] == ["dingk3", "migrate"]
    assert set(doc["secrets"]) >= secret and all("file" in s for s in doc["secrets"].values())


@pytest.mark.topology
def test_the_compose_nginx_config_is_valid_nginx(tmp_path):
    need("nginx")
    conf = (COMPOSE.parent / "nginx.conf").read_text()
    # resolve the compose service names locally for `nginx -t`
    conf = conf.replace("rasa:5005", "127.0.0.1:5005").replace("actions:5055", "127.0.0.1:5055").replace(
        "ingress:5010", "127.0.0.1:5010")
    conf = f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n" + conf.replace(
        "http {", f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path};\n  proxy_temp_path {tmp_path};", 1)
    (tmp_path / "nginx.conf").write_text(conf)
    run = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                         capture_output=True, text=True, timeout=30, check=False)
    assert run.returncode == 0, run.stderr
