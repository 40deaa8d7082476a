"""The callback ingress in the whole system (issue 18): DingTalk's HTTP callbacks are answered by
a process of their own (connectors/ingress.py) and handed to the Rasa server, where the turn runs.
Talked to only as DingTalk would: the simulator signs and posts the callbacks."""

import json
import time

import httpx
import pytest

from tests.e2e.stack import wait_until

pytestmark = pytest.mark.stack


def _log(settings, name: str) -> str:
    return (settings.var_dir / "logs" / f"{name}.log").read_text(encoding="utf-8", errors="replace")


def test_signed_callbacks_go_to_the_ingress_and_are_answered_by_rasa(chat, stack):
    running, settings = stack
    assert running.service("ingress").process.poll() is None
    start = chat.mark()
    sent = chat.send("prod0001", "P20250401 进度怎么样", "cidPROD0001")
    assert sent["status"] == 200
    replies = chat.wait_for(start, lambda r: r.raw.get("in_reply_to") == sent["msgId"],
                            conversation_id="cidPROD0001")
    assert "P20250401" in replies[0].text
    wait_until(lambda: f"dingtalk: message {sent['msgId']} accepted" in _log(settings, "ingress"), "the ingress's ack")
    rasa = _log(settings, "rasa")
    assert f"message {sent['msgId']} handed over by the ingress" in rasa
    assert f"dingtalk: message {sent['msgId']} accepted" not in rasa  # not acknowledged a second time there


def test_forged_and_unsigned_callbacks_are_refused_at_the_ingress_and_reach_nothing(chat, stack):
    _, settings = stack
    start = chat.mark()
    forged = chat.send("prod0001", "P20250402 进度怎么样", "cidPROD0001", sign="forged")
    unsigned = chat.send("prod0001", "P20250402 进度怎么样", "cidPROD0001", sign="none")
    assert (forged["status"], unsigned["status"]) == (401, 401)
    good = chat.send("prod0001", "P20250403 进度怎么样", "cidPROD0001")  # then a genuine one: answered
    chat.wait_for(start, lambda r: r.raw.get("in_reply_to") == good["msgId"], conversation_id="cidPROD0001")
    answered = {r.raw.get("in_reply_to") for r in chat.replies(start, conversation_id="cidPROD0001")}
    assert forged["msgId"] not in answered and unsigned["msgId"] not in answered
    rasa = _log(settings, "rasa")
    assert forged["msgId"] not in rasa and unsigned["msgId"] not in rasa  # never handed over


def test_the_rasa_servers_handoff_route_refuses_without_the_internal_secret(chat, stack):
    _, settings = stack
    turn = {"text": "帮助", "sender_id": "cidPMC0001:pmc0001", "dedupe_key": "msg:forged-handoff-1",
            "message_id": "forged-handoff-1", "is_readable": True, "is_too_long": False,
            "metadata": {"conversation_id": "cidPMC0001", "is_group": True, "staff_id": "pmc0001",
                         "received_ms": int(time.time() * 1000)}}
    url = f"http://{settings.rasa_host}:{settings.rasa_port}/webhooks/dingtalk/internal/turn"
    for headers in ({}, {"x-dingk3-ingress-secret": "guessed"}):
        r = httpx.post(url, content=json.dumps(turn), headers={"content-type": "application/json", **headers},
                       timeout=30)
        assert (r.status_code, r.json()) == (401, {"error": "unauthorized"})
    assert "forged-handoff-1" not in _log(settings, "rasa")
