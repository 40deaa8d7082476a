"""A turn left behind by a stopped process is not run behind the person's later messages.

Seen in the prod-faults run (issue 17): a Rasa server was killed after a change confirmation
("确认") had run and been answered but before its tracker was saved; the sweeper of the other
server ran it again half a minute later, when the same person had already asked for a new order:
the old "yes" confirmed the new summary. A left-behind turn is now judged against its tracker:
already there -> finished; a message that arrived after it is there -> not run, the person is told;
else run."""

from __future__ import annotations

import httpx
from rasa.shared.core.events import UserUttered

from connectors.dedupe import SQLiteDedupe
from connectors.dingtalk import RerunState, _payload, decode_robot_message, rerun_state
from connectors.outbox import Destination, encode
from connectors.reply_queue import make_reply_store
from dingtalk_client.messages import Text
from rasa_project.catalog import text
from tests.dingtalk.dying_bot import turn_settings
from tests.polling import async_wait_until


def inbound_at(received_ms, message_id="msgA", text_="确认"):
    body = {"msgId": message_id, "conversationId": "cidPMC0001", "conversationType": "2", "msgtype": "text",
            "text": {"content": text_}, "senderStaffId": "pmc0001", "senderId": "$:x"}
    inbound = decode_robot_message(body, robot_name="bot")
    if received_ms is not None:
        inbound.metadata["received_ms"] = received_ms
    return inbound


async def chat_message(sim, tmp_path, text_: str):
    """Settings pointed at the simulator, and a message DingTalk made there (no bot listens yet)."""
    sim_url, app = sim
    settings = turn_settings(tmp_path)
    settings.dingtalk_openapi_url = sim_url
    settings.dingtalk_reply_origins = [sim_url]
    async with httpx.AsyncClient(base_url=sim_url) as client:
        sent = (await client.post("/_sim/chat", json={"conversation_id": "cidPMC0001", "staff_id": "pmc0001",
                                                      "text": text_})).json()
    inbound = decode_robot_message(app.state.sent_bodies[sent["msgId"]], robot_name=settings.dingtalk_robot_name)
    return settings, sent, inbound


def user(message_id, received_ms=None, timestamp=1.0):
    return UserUttered("x", message_id=message_id, timestamp=timestamp,
                       metadata={} if received_ms is None else {"received_ms": received_ms})


def test_a_left_behind_turn_is_judged_by_the_messages_its_tracker_holds():
    assert rerun_state(inbound_at(5_000), [user("msg0", 1_000), user("msgA", 5_000)]) is RerunState.DONE
    assert rerun_state(inbound_at(5_000), [user("msg0", 1_000)]) is RerunState.DUE
    assert rerun_state(inbound_at(5_000), [user("msg0", 1_000), user("msgB", 7_000)]) is RerunState.SUPERSEDED
    # a turn stored before arrival times were kept: its processing time stands in
    assert rerun_state(inbound_at(5_000), [user("msg0", None, timestamp=9.0)]) is RerunState.SUPERSEDED
    assert rerun_state(inbound_at(5_000), [user("msg0", None, timestamp=4.0)]) is RerunState.DUE
    assert rerun_state(inbound_at(None), [user("msgB", 7_000)]) is RerunState.DUE  # no arrival time: as before


async def test_a_superseded_turn_is_not_run_and_its_sender_is_told(make_bot, sim, tmp_path):
    sim_url = sim[0]
    settings, sent, inbound = await chat_message(sim, tmp_path, "确认")
    inbound.metadata["received_ms"] = 5_000
    store = SQLiteDedupe(tmp_path / "dingtalk_dedupe.db", 3600)
    store.admit(inbound.dedupe_key, _payload(inbound), lease_s=0.0)  # as a process that died at once
    asked = []

    async def tracker_has_a_later_message(i) -> RerunState:
        asked.append(i.message_id)
        return RerunState.SUPERSEDED

    bot = await make_bot(channel_settings=settings, dedupe=store, handled=tracker_has_a_later_message)
    told = await async_wait_until(lambda: [m for m in httpx.get(f"{sim_url}/_sim/messages",
                                                                params={"conversation_id": "cidPMC0001"}).json()
                                           ["messages"] if m["via"] != "user"], timeout_s=15)
    await bot.channel.wait_idle()
    assert bot.received == []  # Rasa never saw it
    assert [m["text"] for m in told] == [text("dingtalk.stale_rerun", "zh", text="确认")]
    assert told[0]["in_reply_to"] == sent["msgId"]
    assert asked == [inbound.message_id] and store.pending() == 0


async def test_a_turn_run_again_does_not_say_twice_what_its_first_run_had_queued(make_bot, sim, tmp_path):
    """The first run queued its answer (durably) and its process died before the tracker was
    saved; the rerun produces the same answer under the same key: the person reads it once."""
    sim_url = sim[0]
    settings, _sent, inbound = await chat_message(sim, tmp_path, "P20250401 进度")
    inbound.metadata["received_ms"] = 5_000
    store = SQLiteDedupe(tmp_path / "dingtalk_dedupe.db", 3600)
    store.admit(inbound.dedupe_key, _payload(inbound), lease_s=0.0)
    to = Destination(inbound.metadata["conversation_id"], True, "pmc0001", inbound.metadata["session_webhook"],
                     inbound.metadata["session_webhook_expires_ms"])
    make_reply_store(settings).push("cidPMC0001", encode(to, Text("P20250401 已完成 40%", ("pmc0001",))),
                                    key=f"{inbound.dedupe_key}#0")  # what the dead process had queued

    async def answer(message) -> None:
        await message.output_channel.send_text_message(message.sender_id, "P20250401 已完成 40%")
        await message.output_channel.send_text_message(message.sender_id, "还需要别的吗？")

    async def not_in_tracker(_inbound) -> RerunState:
        return RerunState.DUE

    bot = await make_bot(answer, channel_settings=settings, dedupe=store, handled=not_in_tracker)
    await async_wait_until(lambda: bot.received, timeout_s=15)
    await bot.channel.wait_idle()
    async with httpx.AsyncClient(base_url=sim_url) as client:
        found = (await client.get("/_sim/messages", params={"conversation_id": "cidPMC0001"})).json()["messages"]
    told = [m["text"] for m in found if m["via"] != "user"]
    assert told == ["P20250401 已完成 40%", "还需要别的吗？"]  # the first once, the second (never queued) too


async def test_a_rerun_looks_at_the_tracker_again_once_it_holds_the_conversation_lock(make_bot, sim, tmp_path):
    """The prod-faults run's tracker-order break: the sweep looked (nothing later stored: due)
    while the person's next message was in its turn, holding the conversation's lock; the rerun
    then ran behind it and its message was stored after the newer one. The rerun now runs as
    Rasa's ``Agent.handle_message`` does (Rasa's own lock store, then the processor), looking
    again inside the lock: the newer message is there by then, so the old one is not run."""
    from types import SimpleNamespace

    from rasa.core.lock_store import InMemoryLockStore

    sim_url = sim[0]
    settings, _sent, inbound = await chat_message(sim, tmp_path, "确认")
    inbound.metadata["received_ms"] = 5_000
    store = SQLiteDedupe(tmp_path / "dingtalk_dedupe.db", 3600)
    later_stored = False
    looks = []

    async def tracker(i) -> RerunState:
        looks.append(later_stored)
        return RerunState.SUPERSEDED if later_stored else RerunState.DUE

    processed = []

    async def rasa_processes(message) -> None:  # Rasa's MessageProcessor.handle_message
        processed.append(message.message_id)

    bot = await make_bot(channel_settings=settings, dedupe=store, handled=tracker)
    agent = SimpleNamespace(lock_store=InMemoryLockStore(), processor=SimpleNamespace(handle_message=rasa_processes))
    bot.app.ctx.agent = agent
    async with agent.lock_store.lock(inbound.sender_id):  # the person's next message, in its turn
        store.admit(inbound.dedupe_key, _payload(inbound), lease_s=0.0)  # left by a process that died
        await async_wait_until(lambda: looks, timeout_s=15)  # the sweep looked: nothing later yet
        later_stored = True  # the next message's turn reaches the tracker store, then lets go
    told = await async_wait_until(lambda: [m for m in httpx.get(f"{sim_url}/_sim/messages",
                                                                params={"conversation_id": "cidPMC0001"}).json()
                                           ["messages"] if m["via"] != "user"], timeout_s=15)
    await bot.channel.wait_idle()
    assert looks[0] is False and looks[-1] is True  # looked at sweep time, and again under the lock
    assert processed == [] and bot.received == []  # never handed to Rasa
    assert [m["text"] for m in told] == [text("dingtalk.stale_rerun", "zh", text="确认")]
    assert store.pending() == 0


async def test_a_due_rerun_is_processed_under_the_conversation_lock(make_bot, sim, tmp_path):
    """Nothing later stored: the rerun is handed to Rasa's processor while it holds the lock."""
    from types import SimpleNamespace

    from rasa.core.lock_store import InMemoryLockStore

    settings, _sent, inbound = await chat_message(sim, tmp_path, "P20250401 进度")
    store = SQLiteDedupe(tmp_path / "dingtalk_dedupe.db", 3600)
    lock_store = InMemoryLockStore()
    held = []

    async def rasa_processes(message) -> None:
        lock = lock_store.get_lock(message.sender_id)
        held.append(bool(lock and lock.tickets))  # a ticket is being served: the conversation's lock
        await message.output_channel.send_text_message(message.sender_id, "P20250401 已完成 40%")

    async def not_in_tracker(_inbound) -> RerunState:
        return RerunState.DUE

    bot = await make_bot(channel_settings=settings, dedupe=store, handled=not_in_tracker)
    bot.app.ctx.agent = SimpleNamespace(lock_store=lock_store, processor=SimpleNamespace(handle_message=rasa_processes))
    store.admit(inbound.dedupe_key, _payload(inbound), lease_s=0.0)
    await async_wait_until(lambda: held, timeout_s=15)
    await bot.channel.wait_idle()
    assert held == [True] and bot.received == []
    assert store.pending() == 0
