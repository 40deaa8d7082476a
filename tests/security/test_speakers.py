"""Who is speaking (issue 20 §3): a body naming someone who is not in that conversation gets no turn.
Membership comes from the DingTalk simulator's OpenAPI (innerGroups/members/check), as in production.

The check runs after the callback is acknowledged (issue 18: the acknowledgement waits on no call to
DingTalk), at the start of the message's turn: a sender who does not belong is answered 200 like
anyone (DingTalk must not deliver it again), and then nothing reaches Rasa, nothing is said to the
chat, and the admitted record is finished."""

from __future__ import annotations

import httpx

from devtools.security.wire import card_press
from tests.polling import async_wait_until
from tests.security.conftest import post, sim_messages


def requests_to(sim_url: str, path: str) -> list[dict]:
    return [r for r in httpx.get(f"{sim_url}/_sim/requests").json()["requests"] if r["path"] == path]


MEMBERS_CHECK = "/v1.0/im/innerGroups/members/check"


async def echo(message):
    """A turn that answers in the chat: a refused sender would be heard if a turn ran."""
    await message.output_channel.send_text_message(message.sender_id, f"echo: {message.text}")


async def settled(bot) -> None:
    """Every accepted message's turn over (or given back to its lease) and every reply sent."""
    await bot.channel.wait_idle()


def said_in(sim_url: str, conversation_id: str) -> list[str]:
    return [m.get("text") for m in sim_messages(sim_url, conversation_id=conversation_id)]


def picture(message: dict) -> dict:
    """The same message as a picture: the channel itself answers it ("unsupported"), no Rasa needed."""
    changed = {**message, "msgtype": "picture", "content": {"downloadCode": "d", "pictureDownloadCode": "d"}}
    changed.pop("text")
    return changed


async def test_a_body_naming_someone_outside_the_group_is_refused(sim, make_bot, body, signer):
    sim_url, _ = sim
    bot = await make_bot(echo)
    # prod0002 is in the production group, not in the PMC group: acknowledged, then nothing
    r = await post(bot, body("prod0002", "cidPMC0001", "进度 P20250401"), signer.headers())
    assert r.status_code == 200 and r.json() == {}
    # not even the channel's own answer to a picture (sent without Rasa)
    assert (await post(bot, picture(body("prod0002", "cidPMC0001", "x")), signer.headers())).status_code == 200
    # a conversation that is not one of the robot's groups: DingTalk says invalid, no turn either
    assert (await post(bot, body("pmc0001", "cidNOTOURS", "进度"), signer.headers())).status_code == 200
    await settled(bot)
    assert bot.received == [] and said_in(sim_url, "cidPMC0001") == [] and said_in(sim_url, "cidNOTOURS") == []
    assert bot.channel.dedupe.pending() == 0  # the admitted records are finished, not left to a sweeper
    # the same people where they belong are heard, pictures answered by the channel
    assert (await post(bot, body("prod0002", "cidPROD0001", "进度 P20250401"), signer.headers())).status_code == 200
    assert (await post(bot, picture(body("pmc0001", "cidPMC0001", "x")), signer.headers())).status_code == 200
    await async_wait_until(lambda: said_in(sim_url, "cidPROD0001") and said_in(sim_url, "cidPMC0001"))
    await settled(bot)
    assert [m.sender_id for m in bot.received] == ["cidPROD0001:prod0002"]
    assert said_in(sim_url, "cidPROD0001") == ["echo: 进度 P20250401"]
    assert len(said_in(sim_url, "cidPMC0001")) == 1  # the picture's catalog answer, to the member only


async def test_a_refused_sender_is_not_asked_again_on_a_redelivery(sim, make_bot, body, signer):
    """DingTalk delivering a refused message again: a repeat by its msgId, nothing runs twice."""
    sim_url, _ = sim
    bot = await make_bot(echo)
    outsider = body("prod0002", "cidPMC0001", "进度 P20250401")
    assert (await post(bot, outsider, signer.headers())).status_code == 200
    await settled(bot)
    assert (await post(bot, outsider, signer.headers())).status_code == 200
    await settled(bot)
    assert bot.received == [] and len(requests_to(sim_url, MEMBERS_CHECK)) == 1
async def test_someone_who_just_joined_is_heard(sim, make_bot):
    sim_url, app = sim
    bot = await make_bot()
    app.state.bot_url = bot.url + "/webhook"
    async with httpx.AsyncClient(base_url=sim_url) as client:  # guest0001 joins the PMC group and writes
        answer = (await client.post("/_sim/chat", json={"conversation_id": "cidPMC0001", "staff_id": "guest0001",
                                                        "text": "你好"})).json()
    assert answer["status"] == 200
    await async_wait_until(lambda: bot.received)
    assert bot.received[0].sender_id == "cidPMC0001:guest0001"


async def test_membership_is_asked_once_then_cached(sim, make_bot, body, signer):
    sim_url, _ = sim
    bot = await make_bot()
    for _ in range(5):  # their checks overlap in the background: still one question to DingTalk
        assert (await post(bot, body("pmc0002", "cidPMC0001", "你好"), signer.headers())).status_code == 200
    await settled(bot)
    assert len(bot.received) == 5
    assert len(requests_to(sim_url, MEMBERS_CHECK)) == 1
    assert bot.channel.speakers.lookups == 1


async def faults(sim_url: str, rules: list[dict]) -> None:
    async with httpx.AsyncClient() as client:
        await client.post(f"{sim_url}/_sim/faults", json={"rules": rules})


async def test_when_dingtalk_cannot_say_at_first_the_acknowledged_turn_runs_once_it_can(sim, make_bot, body,
                                                                                       signer):
    sim_url, _ = sim
    await faults(sim_url, [{"path_prefix": MEMBERS_CHECK, "status": 503, "count": 2}])
    bot = await make_bot(echo, member_retry_s=0.05)
    message = body("pmc0001", "cidPMC0001", "你好")
    assert (await post(bot, message, signer.headers())).status_code == 200  # acknowledged all the same
    await async_wait_until(lambda: said_in(sim_url, "cidPMC0001"))
    await settled(bot)
    assert [m.message_id for m in bot.received] == [message["msgId"]]
    assert len(requests_to(sim_url, MEMBERS_CHECK)) == 3  # two refused by DingTalk, the third answered
    assert bot.channel.dedupe.pending() == 0
    assert (await post(bot, message, signer.headers())).status_code == 200  # DingTalk's redelivery: a repeat
    await settled(bot)
    assert len(bot.received) == 1 and said_in(sim_url, "cidPMC0001") == ["echo: 你好"]


async def test_a_membership_outage_longer_than_the_lease_leaves_the_turn_to_the_sweeper(sim, make_bot, body,
                                                                                      signer, settings):
    """Nothing is lost: the turn keeps its record (leased), lets the lease lapse when DingTalk stays
    down, and the sweeper runs it again once DingTalk answers: once."""
    sim_url, _ = sim
    settings.turn_lease_s, settings.turn_sweep_s = 1.0, 0.2
    await faults(sim_url, [{"path_prefix": MEMBERS_CHECK, "status": 503, "count": 10_000}])
    bot = await make_bot(echo, member_retry_s=0.05)
    message = body("pmc0001", "cidPMC0001", "你好")
    assert (await post(bot, message, signer.headers())).status_code == 200
    await async_wait_until(lambda: not bot.channel._tasks, what="the first run to give the turn back")
    assert bot.received == [] and bot.channel.dedupe.pending() == 1  # kept, for the sweeper
    assert len(requests_to(sim_url, MEMBERS_CHECK)) > 1  # tried again meanwhile
    await faults(sim_url, [])  # DingTalk is back
    await async_wait_until(lambda: said_in(sim_url, "cidPMC0001"), timeout_s=15)
    await async_wait_until(lambda: bot.channel.dedupe.pending() == 0, timeout_s=10)
    await settled(bot)
    assert [m.message_id for m in bot.received] == [message["msgId"]]
    assert said_in(sim_url, "cidPMC0001") == ["echo: 你好"]


async def test_a_robot_chat_belongs_to_the_first_person_heard_in_it_across_restarts(sim, make_bot, body, signer):
    first = await make_bot()
    mine = body("pmc0001", "cidDMpmc0001", "你好", is_group=False, title=None)
    assert (await post(first, mine, signer.headers())).status_code == 200
    await settled(first)
    await first.stop()
    second = await make_bot()  # the owner is kept in the channel's claim store under var_dir
    theirs = body("manager0001", "cidDMpmc0001", "批准 P20250401", is_group=False, title=None)
    assert (await post(second, theirs, signer.headers())).status_code == 200
    await settled(second)
    assert second.received == []
    assert (await post(second, {**mine, "msgId": "msg-2"}, signer.headers())).status_code == 200
    await settled(second)
    assert [m.sender_id for m in second.received] == ["cidDMpmc0001:pmc0001"]
    assert second.channel.dedupe.pending() == 0


async def test_a_group_passed_off_as_a_robot_chat_is_refused(sim, make_bot, body, signer, settings):
    bot = await make_bot()

    async def heard(message) -> bool:
        before = len(bot.received)
        assert (await post(bot, message, signer.headers())).status_code == 200
        await settled(bot)  # one after the other, as a conversation's messages come
        return len(bot.received) > before

    # the configured groups are groups from the start, whoever the body names
    assert not await heard(body("manager0001", settings.dingtalk_production_group, "进度", is_group=False,
                                title=None))
    # a group DingTalk counts the sender in is no robot chat
    assert not await heard(body("pmc0001", "cidPROD0001", "进度", is_group=False, title=None))
    # and a conversation keeps the kind it was first heard as, both ways
    assert await heard(body("pmc0002", "cidDMpmc0002", "你好", is_group=False, title=None))
    assert not await heard(body("pmc0002", "cidDMpmc0002", "你好"))
    assert [m.sender_id for m in bot.received] == ["cidDMpmc0002:pmc0002"]
    assert bot.channel.dedupe.pending() == 0


async def test_a_card_press_from_outside_the_space_is_refused(sim, make_bot, signer, settings):
    bot = await make_bot()
    press = card_press(corp_id=settings.dingtalk_corp_id, out_track_id="approval-CR-000001-manager0001",
                       staff_id="prod0001", space_id="cidPMC0001", decision="approve", params={"order_no": "P1"})
    assert (await post(bot, press, signer.headers(), "/card")).status_code == 200
    await settled(bot)
    assert bot.received == [] and bot.channel.dedupe.pending() == 0
    own = {**press, "userId": "manager0001"}
    assert (await post(bot, own, signer.headers(), "/card")).status_code == 200
    await settled(bot)
    assert [m.sender_id for m in bot.received] == ["cidPMC0001:manager0001"]


async def test_an_external_sender_claims_no_staff_id_and_is_not_asked_about(sim, make_bot, body, signer):
    sim_url, _ = sim
    bot = await make_bot()
    external = body(None, "cidPMC0001", "hello")
    assert (await post(bot, external, signer.headers())).status_code == 200
    await async_wait_until(lambda: bot.received)
    assert bot.received[0].metadata["staff_id"] is None
    assert requests_to(sim_url, MEMBERS_CHECK) == []


def test_the_membership_route_satisfies_the_official_sdk(sim):
    import json
    import subprocess
    from pathlib import Path

    from tests.requirements import OA_SDK_PYTHON, need

    need("oa_sdk")
    sim_url, _ = sim
    script = Path(__file__).with_name("sdk_members_client.py")
    pairs = ["cidPMC0001:pmc0001", "cidPMC0001:prod0001", "cidNOTOURS:pmc0001"]
    run = subprocess.run([str(OA_SDK_PYTHON), str(script), sim_url.removeprefix("http://"), "dingdemoappkey0001",
                          "demo-app-secret-0123456789abcdefABCDEF", *pairs],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    member, outsider, unknown = (json.loads(line) for line in run.stdout.splitlines())
    assert member == {"ok": {"result": True}, "status": 200}
    assert outsider == {"ok": {"result": False}, "status": 200}
    assert unknown["error"]["status"] == 400 and unknown["error"]["code"].startswith("invalidParameter")
