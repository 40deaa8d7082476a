"""`make prod-local`'s topology, started on free ports: two Rasa servers and two action servers
behind nginx, two workers, PostgreSQL and Redis, the simulators. A person's messages reach the bot
through the load balancer and are answered; with one Rasa server and one action server killed
(kill -9) the next messages are still answered, once each, through the survivors; the trackers
are in PostgreSQL and the conversation's turns are all there."""

from __future__ import annotations

import time

import httpx
import pytest
import sqlalchemy as sa

from devtools.topology.prod_local import (
    Ports,
    create_database,
    drop_database,
    flush_redis,
    free_redis_db,
    topology,
)
from tests.e2e.stack import Chat
from tests.requirements import need

pytestmark = [pytest.mark.topology, pytest.mark.stack, pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slapd]


@pytest.fixture(scope="module")
def model_path():
    from rasa_project.nlu.training import ensure_model

    return ensure_model()


def test_two_of_everything_behind_nginx_answers_and_survives_a_killed_replica(tmp_path, model_path):
    need("slapd")
    need("nginx")
    ports = Ports.free()
    database_url = create_database("dingk3_prodlocal_test")
    redis_url = f"redis://127.0.0.1:6379/{free_redis_db()}"
    stack = topology(tmp_path, model_path, ports=ports, database_url=database_url, redis_url=redis_url,
                     settings_extra={"dingtalk_rate_per_minute": 1000, "dingtalk_sim_rate_per_minute": 1000})
    try:
        stack.start()
        assert httpx.get(f"http://127.0.0.1:{ports.lb}/webhooks/dingtalk/", timeout=10).status_code == 200
        chat = Chat(stack.settings)
        first = chat.ask("pmc0001", "P20250401 进度怎么样", conversation_id="cidPMC0001", timeout_s=90)
        assert first and first[0].text
        stack.kill("rasa1")
        stack.kill("actions1")
        answered = []
        for text in ("P20250401 进度怎么样", "库存 BOM-2050", "帮助"):
            got = chat.ask("pmc0001", text, conversation_id="cidPMC0001", timeout_s=90)
            answered.append([r.text for r in got])
        assert all(answered), answered
        time.sleep(1.0)  # no late duplicate replies
        engine = sa.create_engine(database_url)
        with engine.connect() as conn:
            users = conn.execute(sa.text(
                "SELECT data FROM events WHERE type_name = 'user' AND sender_id LIKE '%cidPMC0001%'")).fetchall()
        engine.dispose()
        assert len(users) == 4, users  # every message once, in PostgreSQL, none doubled
    finally:
        stack.stop()
        drop_database(database_url)
        flush_redis(redis_url)
