"""The message model refuses what DingTalk refuses and produces both wire shapes."""

from __future__ import annotations

import json

import pytest

from dingtalk_client.messages import (
    ActionCard,
    InvalidMessage,
    Markdown,
    Text,
    chat_text_of,
    dtmd_send_url,
    from_webhook_body,
)


def test_text_webhook_body_and_openapi_param():
    message = Text("已收到", ("manager0001",))
    assert message.to_webhook_body() == {
        "msgtype": "text", "text": {"content": "已收到"},
        "at": {"atUserIds": ["manager0001"], "atMobiles": [], "isAtAll": False},
    }
    key, param = message.to_openapi()
    assert key == "sampleText" and isinstance(param, str) and json.loads(param) == {"content": "已收到"}


def test_markdown_needs_a_title():
    with pytest.raises(InvalidMessage) as exc:
        Markdown("", "### 已同意")
    assert exc.value.field == "markdown.title"
    assert Markdown("审批结果", "### 已同意").to_openapi()[0] == "sampleMarkdown"


def test_action_card_cannot_have_single_url_and_buttons():
    with pytest.raises(InvalidMessage):
        ActionCard("报销", "### R-1024", (("同意", "同意 R-1024"),), single_title="查看", single_url="https://x/r")
    with pytest.raises(InvalidMessage):
        from_webhook_body({"msgtype": "actionCard", "actionCard": {
            "title": "t", "text": "x", "singleTitle": "a", "singleURL": "https://x",
            "btns": [{"title": "b", "actionURL": dtmd_send_url("b")}]}})
    with pytest.raises(InvalidMessage):
        ActionCard("t", "x")  # neither


def test_action_card_buttons_are_dtmd_links_in_both_shapes():
    card = ActionCard("审批", "### P20250402 待审批", (("同意", '/approve{"order_no":"P20250402"}'), ("拒绝", "/reject")))
    btns = card.to_webhook_body()["actionCard"]["btns"]
    assert [chat_text_of(b["actionURL"]) for b in btns] == ['/approve{"order_no":"P20250402"}', "/reject"]
    assert btns[0]["actionURL"] == "dtmd://dingtalkclient/sendMessage?content=%2Fapprove%7B%22order_no%22%3A%22P20250402%22%7D"
    key, param = card.to_openapi()
    assert key == "sampleActionCard2"
    assert json.loads(param)["actionURL2"] == dtmd_send_url("/reject")
    three = ActionCard("t", "x", (("a", "a"), ("b", "b"), ("c", "c")))
    assert three.to_openapi()[0] == "sampleActionCard3"
    assert ActionCard("t", "x", (("a", "a"),)).to_openapi()[0] == "sampleActionCard"
    assert ActionCard("t", "x", (("a", "a"), ("b", "b")), is_horizontal=True).to_openapi()[0] == "sampleActionCard6"


def test_custom_json_round_trips_and_rejects_unknown_types():
    body = {"msgtype": "markdown", "markdown": {"title": "审批结果", "text": "### 已同意"},
            "at": {"atUserIds": ["manager0001"]}}
    assert from_webhook_body(body) == Markdown("审批结果", "### 已同意", ("manager0001",))
    with pytest.raises(InvalidMessage):
        from_webhook_body({"msgtype": "feedCard", "feedCard": {"links": []}})
    with pytest.raises(InvalidMessage):  # a non-dtmd button would be lost on the OpenAPI path
        from_webhook_body({"msgtype": "actionCard", "actionCard": {
            "title": "t", "text": "x", "btns": [{"title": "b", "actionURL": "https://x"}]}})


def test_msg_param_size_is_limited():
    with pytest.raises(InvalidMessage) as exc:
        Text("料" * 6000).to_openapi()
    assert exc.value.field == "msgParam"
