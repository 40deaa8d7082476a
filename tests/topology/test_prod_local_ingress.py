"""prod-local's callback ingresses (issue 18): nginx sends DingTalk's robot and card callbacks to two
ingress processes, everything else to the Rasa servers, and never lets the outside reach the
ingress's hand-off route; each ingress hands over to both Rasa servers directly."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from devtools.topology.prod_local import NGINX, Ports, nginx_conf, topology
from tests.requirements import need


def _locations(conf: str) -> dict[str, str]:
    """``location`` of the public server -> what it does (proxy_pass target or return)."""
    public = conf.split("server {", 1)[1].split("server {", 1)[0]
    out = {}
    for m in re.finditer(r"location (=|\^~)? ?(\S+) \{(.*?)\}", public, re.DOTALL):
        body = m.group(3)
        target = re.search(r"proxy_pass http://(\w+);", body)
        out[m.group(2)] = target.group(1) if target else body.strip()
    return out


def test_nginx_sends_callbacks_to_the_ingresses_and_the_rest_to_rasa(tmp_path):
    ports = Ports.free()
    conf = nginx_conf(tmp_path, ports)
    where = _locations(conf)
    assert where["/webhooks/dingtalk/webhook"] == "ingress" and where["/webhooks/dingtalk/card"] == "ingress"
    assert where["/"] == "rasa"  # /events, the channel's health, Rasa's API
    assert where["/webhooks/dingtalk/internal/"].startswith("return 404")
    for port in ports.ingress:
        assert f"server 127.0.0.1:{port} " in conf.split("upstream ingress {", 1)[1].split("}", 1)[0]


def test_the_generated_nginx_config_is_valid_nginx(tmp_path):
    need("nginx")
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    (tmp_path / "nginx.conf").write_text(nginx_conf(tmp_path, Ports.free()))
    run = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                         capture_output=True, text=True, timeout=30, check=False)
    assert run.returncode == 0, run.stderr


def test_two_ingresses_start_after_the_rasa_servers_and_hand_over_to_both(tmp_path):
    ports = Ports.free()
    stack = topology(tmp_path, Path("model.tar.gz"), ports=ports,
                     database_url="postgresql+psycopg2://postgres@127.0.0.1:5432/unused",
                     redis_url="redis://127.0.0.1:6379/15")
    names = [s.name for s in stack.services]
    ingresses = [n for n in names if n.startswith("ingress")]
    assert ingresses == ["ingress1", "ingress2"]
    assert min(names.index(n) for n in ingresses) > max(names.index("rasa1"), names.index("rasa2"))
    for name, port in zip(ingresses, ports.ingress):
        env = stack.per_service[name]
        assert env["DINGK3_INGRESS_PORT"] == str(port)
        assert json.loads(env["DINGK3_INGRESS_RASA_URLS"]) == [f"http://127.0.0.1:{p}" for p in ports.rasa]
        assert stack.service(name).argv[1:] == ["-m", "connectors.ingress"]
    # DingTalk (the simulator) posts to the load balancer, which sends callbacks to the ingresses
    assert stack.env["DINGK3_DINGTALK_BOT_WEBHOOK_URL"] == f"http://127.0.0.1:{ports.lb}/webhooks/dingtalk/webhook"
