"""Two real Rasa servers, one conversation, concurrent turns sent to both alternately: on our
stores (endpoints.production.yml: fenced PostgreSQL tracker store, atomic Redis lock store) no
turn is lost, doubled or interleaved. The same race on Rasa's stock SQL + RedisLockStore is run
too and its figures kept in reports/topology/two_rasa_servers.json (it loses turns on this machine
most runs, but not reliably enough to assert)."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from devtools.topology.rasa_pair import STOCK_ENDPOINTS, race, rasa_servers
from rasa_project.settings import PROJECT_ROOT, Settings
from tests.authz.conftest import free_port
from tests.pg import throwaway_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def model_path():
    from rasa_project.nlu.training import ensure_model

    return ensure_model()


def test_two_rasa_servers_on_our_stores_lose_double_and_interleave_no_turn(tmp_path, model_path):
    report = {}
    with throwaway_database("dingk3_pair", target="base") as url:
        token = "pair-rasa-api-token-0123456789"
        settings = Settings(var_dir=tmp_path, database_url=url, redis_url="redis://127.0.0.1:6379/1",
                            rasa_api_token=token, lock_lifetime_s=30, lock_max_wait_s=90)
        ports = [free_port(), free_port()]
        with rasa_servers(settings, model_path, ports):
            ours = race(ports, token)
        report["ours"] = asdict(ours)
        stock_endpoints = tmp_path / "endpoints.stock.yml"
        stock_endpoints.write_text(STOCK_ENDPOINTS)
        ports = [free_port(), free_port()]
        with rasa_servers(settings, model_path, ports, endpoints=stock_endpoints):
            stock = race(ports, token)
        report["stock"] = asdict(stock)
    out = PROJECT_ROOT / "reports" / "topology"
    out.mkdir(parents=True, exist_ok=True)
    (out / "two_rasa_servers.json").write_text(json.dumps(report, indent=2))
    assert ours.clean, ours
    assert ours.accepted == ours.sent == 40
