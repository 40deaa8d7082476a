"""OA events through the real channel: the simulator pushes bpms events over the encrypted HTTP
subscription and over Stream; the channel verifies, stores them in the inbox once, and answers as
DingTalk expects. Forged, stale, undecryptable and foreign posts change nothing."""

from __future__ import annotations

import httpx
import pytest

from tests.oa.conftest import KEY, MANAGER, PLANNER, SECRET, start_body
from tests.polling import async_wait_until


@pytest.fixture
def esim(run_sim, settings):
    """The simulator with quick event retries (0.05 s, 0.1 s, 0.2 s) and quick Stream redelivery."""
    url, app = run_sim(settings, ack_timeout_s=0.5, max_redeliveries=2, ping_interval_s=0,
                       disconnect_grace_s=0.2, event_retry_base_s=0.05)
    settings.dingtalk_openapi_url = url
    return url, app


async def token(client: httpx.AsyncClient) -> str:
    r = await client.post("/v1.0/oauth2/accessToken", json={"appKey": KEY, "appSecret": SECRET})
    return r.json()["accessToken"]


async def start(client: httpx.AsyncClient, **overrides) -> str:
    r = await client.post("/v1.0/workflow/processInstances", json=start_body(**overrides),
                          headers={"x-acs-dingtalk-access-token": await token(client)})
    assert r.status_code == 200, r.text
    return r.json()["instanceId"]


async def decide(client: httpx.AsyncClient, instance_id: str, result: str, remark: str) -> None:
    r = await client.post(f"/_sim/approvals/{instance_id}/decide",
                          json={"staff_id": MANAGER, "result": result, "remark": remark})
    assert r.status_code == 200, r.text


async def pushes(client: httpx.AsyncClient) -> list[dict]:
    return (await client.get("/_sim/events")).json()["subscription"]["pushes"]


async def test_http_subscription_check_url_then_events_land_in_the_inbox_once(esim, make_bot, inbox):
    sim_url, _ = esim
    bot = await make_bot(inbox=inbox)
    async with httpx.AsyncClient(base_url=sim_url, timeout=10) as client:
        refused = await client.post("/_sim/events/subscription", json={"mode": "http", "url": bot.url + "/webhook"})
        assert refused.status_code == 400 and "check_url failed" in refused.json()["error"]
        r = await client.post("/_sim/events/subscription", json={"mode": "http", "url": bot.url + "/events"})
        assert r.status_code == 200, r.text
        assert inbox.count() == 0  # check_url is answered, not stored

        instance_id = await start(client)
        await decide(client, instance_id, "agree", "同意，按计划")
        await async_wait_until(lambda: inbox.count() == 4, 10)
        # HTTP pushes travel in parallel, so arrival order is not guaranteed (as with DingTalk)
        rows = {(r["event_type"], r["payload"]["type"]): r for r in inbox.events(instance_id=instance_id)}
        assert set(rows) == {("bpms_instance_change", "start"), ("bpms_task_change", "start"),
                             ("bpms_task_change", "finish"), ("bpms_instance_change", "finish")}
        task_done, instance_done = rows["bpms_task_change", "finish"], rows["bpms_instance_change", "finish"]
        assert task_done["payload"]["remark"] == "同意，按计划" and task_done["payload"]["result"] == "agree"
        assert instance_done["payload"]["result"] == "agree" and {r["channel"] for r in rows.values()} == {"http"}
        assert all("EventType" not in r["payload"] for r in rows.values())
        async def events_delivered():
            sent = [p for p in await pushes(client) if p["event_type"] != "check_url"]
            return sent if len(sent) == 4 and all(p["delivered"] for p in sent) else None

        sent = await async_wait_until(events_delivered, 10)
        assert all(len(p["attempts"]) == 1 for p in sent)  # success at the first attempt

        last = next(p for p in sent if p["event_type"] == "bpms_instance_change" and p["plaintext"]["type"] == "finish")
        again = (await client.post(f"/_sim/events/resend/{last['seq']}")).json()  # a duplicate delivery
        assert again["attempts"][-1]["accepted"] is True  # answered success again...
        assert inbox.count() == 4  # ...and stored once
        assert [r["deliveries"] for r in inbox.events(instance_id=instance_id) if r["id"] == instance_done["id"]] == [2]


@pytest.mark.parametrize("fault, reasons", [("wrong_signature", {"signature"}), ("stale_timestamp", {"stale"}),
                                            ("wrong_key", {"undecryptable", "owner"}), ("wrong_owner", {"owner"})])
async def test_forged_stale_and_foreign_posts_are_refused_and_change_nothing(esim, make_bot, inbox, fault, reasons):
    sim_url, _ = esim
    bot = await make_bot(inbox=inbox)
    async with httpx.AsyncClient(base_url=sim_url, timeout=10) as client:
        assert (await client.post("/_sim/events/subscription",
                                  json={"mode": "http", "url": bot.url + "/events"})).status_code == 200
        await client.post("/_sim/events/faults", json={"rules": [{"fault": fault, "count": 1}]})
        instance_id = await start(client)  # instance start (faulty), then task start (clean)
        sent = await async_wait_until(lambda: _settled(client), 10)
        bad, good = sent[1], sent[2]
        assert bad["event_type"] == "bpms_instance_change" and bad["gave_up"] and not bad["delivered"]
        assert len(bad["attempts"]) == 4 and {a["status"] for a in bad["attempts"]} == {403}  # retried, bounded
        assert good["delivered"]
        rows = inbox.events(instance_id=instance_id)
        assert [r["event_type"] for r in rows] == ["bpms_task_change"]  # the refused one changed nothing
        assert set(bot.channel.events.refused) <= reasons and bot.channel.events.refused


async def _settled(client: httpx.AsyncClient):
    sent = await pushes(client)
    return sent if len(sent) == 3 and all(p["delivered"] or p["gave_up"] for p in sent[1:]) else None


async def test_malformed_posts_get_clear_refusals(esim, make_bot, inbox):
    bot = await make_bot(inbox=inbox)
    async with httpx.AsyncClient(timeout=10) as client:
        no_query = await client.post(bot.url + "/events", json={"encrypt": "abc"})
        assert no_query.status_code == 400 and no_query.json() == {"error": "malformed"}
        not_json = await client.post(bot.url + "/events?msg_signature=a&timestamp=1&nonce=n", content=b"{")
        assert not_json.status_code == 400
    assert inbox.count() == 0


async def test_stream_event_frames_land_in_the_inbox_once_even_when_an_ack_is_lost(esim, make_bot, inbox, settings):
    sim_url, app = esim
    settings.dingtalk_mode = "stream"

    class AckLostOnce:
        """Stores the first event, then fails as if the process died before acking: DingTalk redelivers."""

        def __init__(self, inner):
            self.inner, self.failed = inner, False

        def put(self, event):
            stored = self.inner.put(event)
            if not self.failed:
                self.failed = True
                raise RuntimeError("crash after the write, before the ack")
            return stored

    async with httpx.AsyncClient(base_url=sim_url, timeout=10) as client:
        instance_id = await start(client)  # nobody subscribed yet: DingTalk holds the events
        bot = await make_bot(inbox=AckLostOnce(inbox))
        await async_wait_until(lambda: bot.channel.stream and bot.channel.stream.connected.is_set(), 10)
        status = (await client.get("/_sim/stream")).json()
        assert "EVENT:*" in status["connections"][0]["subscriptions"]
        await async_wait_until(lambda: inbox.count() == 2, 10)  # the held events arrived on connect
        await decide(client, instance_id, "refuse", "产能不足 kapasitas penuh")
        await async_wait_until(lambda: inbox.count() == 4, 10)
        rows = {(r["event_type"], r["payload"]["type"]): r for r in inbox.events(instance_id=instance_id)}
        assert set(rows) == {("bpms_instance_change", "start"), ("bpms_task_change", "start"),
                             ("bpms_task_change", "finish"), ("bpms_instance_change", "finish")}
        [redelivered] = [r for r in rows.values() if r["deliveries"] == 2]  # after the lost ack: stored once
        assert rows["bpms_task_change", "finish"]["payload"]["remark"] == "产能不足 kapasitas penuh"
        assert rows["bpms_instance_change", "finish"]["payload"]["result"] == "refuse"
        assert rows["bpms_instance_change", "start"]["payload"]["staffId"] == PLANNER
        assert {r["channel"] for r in rows.values()} == {"stream"}
        events = {e["event_id"]: e for e in (await client.get("/_sim/events")).json()["events"]}
        assert {r["event_id"] for r in rows.values()} == set(events)  # DingTalk's eventId header, kept
        await async_wait_until(lambda: not app.state.gateway.status()["pending"], 10)
        message_id = events[redelivered["event_id"]]["message_id"]
        acks = [a for a in app.state.gateway.status()["acks"] if a["messageId"] == message_id]
        assert [a["code"] for a in acks] == [500, 200] and acks[-1]["data"] == {"status": "SUCCESS"}
