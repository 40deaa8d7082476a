"""DingTalkOpenAPI (sync, as the action server uses it) against the simulator over real HTTP."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from dingtalk_client.messages import ActionCard, Markdown, Text
from dingtalk_client.openapi import (
    DingTalkAuthError,
    DingTalkInvalidParameter,
    DingTalkOpenAPI,
    DingTalkUnavailable,
    SessionWebhookThrottled,
    api_error,
    webhook_error,
)
from rasa_project.wiring import dingtalk_config


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def messages(sim_url, **params):
    return httpx.get(f"{sim_url}/_sim/messages", params=params).json()["messages"]


def token_requests(sim_url):
    return [r for r in httpx.get(f"{sim_url}/_sim/requests").json()["requests"] if r["path"] == "/v1.0/oauth2/accessToken"]


def test_group_and_user_sends_arrive(sim, settings):
    sim_url, _ = sim
    with DingTalkOpenAPI(dingtalk_config(settings)) as api:
        key = api.send_group("cidPROD0001", Markdown("生产通知", "### P20250402 已下达\n\n- 数量 **500**"))
        result = api.send_to_users(["manager0001", "nobody0001"], Text("请审批 P20250402"))
    assert key
    group = messages(sim_url, conversation_id="cidPROD0001")
    assert group[0]["msgtype"] == "markdown" and group[0]["title"] == "生产通知" and group[0]["via"] == "openapi"
    assert result.invalid_staff_ids == ("nobody0001",)
    assert messages(sim_url, staff_id="manager0001")[0]["text"] == "请审批 P20250402"


def test_token_is_cached_until_expiry_then_renewed(sim, settings):
    sim_url, _ = sim
    clock = Clock()
    with DingTalkOpenAPI(dingtalk_config(settings), clock=clock) as api:
        first = api.access_token()
        api.send_group("cidPMC0001", Text("one"))
        api.send_group("cidPMC0001", Text("two"))
        assert len(token_requests(sim_url)) == 1
        clock.now += 7200 - 299  # inside the 5-minute margin: refresh early
        httpx.post(f"{sim_url}/_sim/clock", json={"advance_s": 7200})
        api.send_group("cidPMC0001", Text("three"))
        assert api.access_token() != first
    assert len(token_requests(sim_url)) == 2


def test_token_expired_at_dingtalk_is_renewed_once(sim, settings):
    sim_url, _ = sim
    with DingTalkOpenAPI(dingtalk_config(settings), clock=Clock()) as api:  # our clock never moves: we think it is fresh
        api.access_token()
        httpx.post(f"{sim_url}/_sim/clock", json={"advance_s": 7300})
        api.send_group("cidPMC0001", Text("after expiry"))  # 401 -> new token -> retry
    statuses = [r["status"] for r in httpx.get(f"{sim_url}/_sim/requests").json()["requests"]
                if r["path"] == "/v1.0/robot/groupMessages/send"]
    assert statuses == [401, 200]


def test_errors_are_typed(sim, settings):
    sim_url, _ = sim
    with DingTalkOpenAPI(dingtalk_config(settings)) as api:
        with pytest.raises(DingTalkInvalidParameter) as exc:
            api.send_group("cidUNKNOWN", Text("x"))
        assert exc.value.code == "invalidParameter.openConversationId.invalid"
    bad = settings.copy(update={"dingtalk_app_secret": SecretStr("wrong")})
    with DingTalkOpenAPI(dingtalk_config(bad)) as api, pytest.raises(DingTalkAuthError):
        api.send_group("cidPMC0001", Text("x"))
    httpx.post(f"{sim_url}/_sim/faults", json={"rules": [{"path_prefix": "/v1.0/robot/groupMessages", "status": 503}]})
    with DingTalkOpenAPI(dingtalk_config(settings)) as api, pytest.raises(DingTalkUnavailable):
        api.send_group("cidPMC0001", Text("x"))


def test_error_mapping_is_pure():
    assert isinstance(api_error(400, {"code": "invalidParameter.msgKey.invalid"}), DingTalkInvalidParameter)
    assert isinstance(api_error(401, {"code": "InvalidAuthentication"}), DingTalkAuthError)
    assert api_error(200, {}) is None
    assert isinstance(webhook_error(200, {"errcode": 130101, "errmsg": "send too fast"}), SessionWebhookThrottled)
    assert webhook_error(200, {"errcode": 0, "errmsg": "ok"}) is None


def test_action_card_over_openapi_keeps_its_buttons(sim, settings):
    sim_url, _ = sim
    with DingTalkOpenAPI(dingtalk_config(settings)) as api:
        api.send_to_users(["pmc0001"], ActionCard("确认", "### 建单?", (("确认", "/affirm"), ("取消", "/deny"))))
    card = messages(sim_url, staff_id="pmc0001")[0]
    assert [(b["title"], b["content"]) for b in card["buttons"]] == [("确认", "/affirm"), ("取消", "/deny")]


def test_approval_card_is_delivered_pressed_and_updated(sim, settings, run_sim):
    sim_url, _app = sim
    with DingTalkOpenAPI(dingtalk_config(settings)) as api:
        delivery = api.send_card("approval-P20250402", "dingk3_approval",
                                 {"title": "变更审批 P20250402", "markdown": "数量 500 → 900", "status": "pending",
                                  "order_no": "P20250402", "approval_id": "A-17"},
                                 conversation_id="cidPMC0001", at_staff={"manager0001": "王丽"})
        assert delivery.delivered
        card = messages(sim_url, staff_id="manager0001")[0]
        assert card["msgtype"] == "card" and card["card"]["status"] == "pending"
        assert [b["params"] for b in card["buttons"]] == [
            {"decision": "approve", "approval_id": "A-17", "order_no": "P20250402"},
            {"decision": "reject", "approval_id": "A-17", "order_no": "P20250402"}]
        api.update_card("approval-P20250402", {"status": "approved"}, private_data={"manager0001": {"voted": "true"}})
    card = messages(sim_url, staff_id="manager0001")[0]
    assert card["card"]["status"] == "approved" and card["buttons"] == []  # locked once decided
    assert card["card"]["params"]["order_no"] == "P20250402"  # updated by key
    assert card["card"]["private"] == {"manager0001": {"voted": "true"}}


def test_one_to_one_card_and_robot_standard_card(sim, settings):
    sim_url, _ = sim
    with DingTalkOpenAPI(dingtalk_config(settings)) as api:
        api.send_card("approval-1", "dingk3_approval", {"title": "t", "status": "pending"}, staff_id="manager0001")
        api.send_interactive_card("biz-1", {"header": {"title": {"type": "text", "text": "日报"}},
                                            "contents": [{"type": "markdown", "text": "产量 **800**"}]},
                                  conversation_id="cidPROD0001")
        with pytest.raises(DingTalkInvalidParameter):
            api.send_card("approval-1", "dingk3_approval", {"title": "t"}, staff_id="manager0001")  # duplicate
    assert messages(sim_url, staff_id="manager0001")[0]["card"]["out_track_id"] == "approval-1"
    robot_card = messages(sim_url, conversation_id="cidPROD0001")[0]
    assert robot_card["title"] == "日报" and robot_card["text"] == "产量 **800**"
