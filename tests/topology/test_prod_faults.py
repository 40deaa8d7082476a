"""Issue 17 item 7, small: the prod-local topology (nginx, two Rasa servers, two action servers, two
workers, a throwaway PostgreSQL database, Redis through a proxy of ours) carries 6 conversations of
mixed flows for a minute while one Rasa server and one action server are killed (kill -9) and
restarted, the database refuses and ends connections for 10 s and Redis is unreachable for 10 s.
The invariants are those of ``make reliability``'s 50-conversation, 5-minute run."""

from __future__ import annotations

import pytest

from devtools.reliability.invariants import broken
from devtools.reliability.prod_faults import ProdFaultsConfig, render, run_prod_faults
from tests.requirements import need

pytestmark = [pytest.mark.topology, pytest.mark.stack, pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis,
              pytest.mark.slapd]


def test_six_conversations_keep_every_invariant_through_kills_and_outages(tmp_path):
    need("slapd")
    need("nginx")
    from rasa_project.nlu.training import ensure_model

    config = ProdFaultsConfig(conversations=6, minutes=1.0, settle_s=60.0)
    report = run_prod_faults(config, model=ensure_model(), work_dir=tmp_path / "run", log=print)
    print(render(report))  # pytest -s shows the counts and the latency per fault window
    assert [f["name"] for f in report["faults"]] == ["rasa_kill", "actions_kill", "postgres_outage", "redis_outage"]
    counts = report["counts"]
    assert counts["messages_sent"] > 0 and counts["k3_orders_created"] > 0 and counts["approvals_decided"] > 0, counts
    assert not broken(report["verdicts"]), [v for v in report["verdicts"] if not v["ok"]]
