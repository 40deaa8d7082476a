"""Who is speaking (issue 20 §3): a body naming someone who is not in that conversation is refused.
Membership comes from the DingTalk simulator's OpenAPI (innerGroups/members/check), as in production."""

from __future__ import annotations

import httpx

from devtools.security.wire import card_press
from tests.polling import async_wait_until
from tests.security.conftest import post


def requests_to(sim_url: str, path: str) -> list[dict]:
    return [r for r in httpx.get(f"{sim_url}/_sim/requests").json()["requests"] if r["path"] == path]


MEMBERS_CHECK = "/v1.0/im/innerGroups/members/check"


async def test_a_body_naming_someone_outside_the_group_is_refused(sim, make_bot, body, signer):
    bot = await make_bot()
    # prod0002 is in the production group, not in the PMC group
    r = await post(bot, body("prod0002", "cidPMC0001", "进度 P20250401"), signer.headers())
    assert r.status_code == 403 and r.json() == {"error": "sender", "reason": "not in this conversation"}
    assert (await post(bot, body("prod0002", "cidPROD0001", "进度 P20250401"), signer.headers())).status_code == 200
    # a conversation that is not one of the robot's groups: DingTalk says invalid, we refuse
    assert (await post(bot, body("pmc0001", "cidNOTOURS", "进度"), signer.headers())).status_code == 403
    await bot.channel.wait_idle()
    assert [m.sender_id for m in bot.received] == ["cidPROD0001:prod0002"]


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
    for _ in range(5):
        assert (await post(bot, body("pmc0002", "cidPMC0001", "你好"), signer.headers())).status_code == 200
    assert len(requests_to(sim_url, MEMBERS_CHECK)) == 1
    assert bot.channel.speakers.lookups == 1


async def test_when_dingtalk_cannot_say_the_message_waits_for_its_redelivery(sim, make_bot, body, signer):
    sim_url, _ = sim
    async with httpx.AsyncClient() as client:
        await client.post(f"{sim_url}/_sim/faults",
                          json={"rules": [{"path_prefix": MEMBERS_CHECK, "status": 503, "count": 1}]})
    bot = await make_bot()
    message = body("pmc0001", "cidPMC0001", "你好")
    assert (await post(bot, message, signer.headers())).status_code == 503  # fail closed, DingTalk retries
    assert (await post(bot, message, signer.headers())).status_code == 200  # the retry is heard
    await bot.channel.wait_idle()
    assert len(bot.received) == 1


async def test_a_robot_chat_belongs_to_the_first_person_heard_in_it_across_restarts(sim, make_bot, body, signer):
    first = await make_bot()
    mine = body("pmc0001", "cidDMpmc0001", "你好", is_group=False, title=None)
    assert (await post(first, mine, signer.headers())).status_code == 200
    await first.stop()
    second = await make_bot()  # the owner is kept in the channel's claim store under var_dir
    theirs = body("manager0001", "cidDMpmc0001", "批准 P20250401", is_group=False, title=None)
    assert (await post(second, theirs, signer.headers())).status_code == 403
    assert (await post(second, {**mine, "msgId": "msg-2"}, signer.headers())).status_code == 200
    await second.channel.wait_idle()
    assert [m.sender_id for m in second.received] == ["cidDMpmc0001:pmc0001"]


async def test_a_group_passed_off_as_a_robot_chat_is_refused(sim, make_bot, body, signer, settings):
    bot = await make_bot()
    # the configured groups are groups from the start, whoever the body names
    configured = body("manager0001", settings.dingtalk_production_group, "进度", is_group=False, title=None)
    assert (await post(bot, configured, signer.headers())).status_code == 403
    # a group DingTalk counts the sender in is no robot chat
    assert (await post(bot, body("pmc0001", "cidPROD0001", "进度", is_group=False, title=None),
                       signer.headers())).status_code == 403
    # and a conversation keeps the kind it was first heard as, both ways
    dm = body("pmc0002", "cidDMpmc0002", "你好", is_group=False, title=None)
    assert (await post(bot, dm, signer.headers())).status_code == 200
    assert (await post(bot, body("pmc0002", "cidDMpmc0002", "你好"), signer.headers())).status_code == 403
    await bot.channel.wait_idle()
    assert [m.sender_id for m in bot.received] == ["cidDMpmc0002:pmc0002"]


async def test_a_card_press_from_outside_the_space_is_refused(sim, make_bot, signer, settings):
    bot = await make_bot()
    press = card_press(corp_id=settings.dingtalk_corp_id, out_track_id="approval-CR-000001-manager0001",
                       staff_id="prod0001", space_id="cidPMC0001", decision="approve", params={"order_no": "P1"})
    assert (await post(bot, press, signer.headers(), "/card")).status_code == 403
    own = {**press, "userId": "manager0001"}
    assert (await post(bot, own, signer.headers(), "/card")).status_code == 200
    await bot.channel.wait_idle()
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
