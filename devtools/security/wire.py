"""What an attacker puts on the wire: robot-message and card-press bodies, signed headers.

The signature is DingTalk's (spec §1.1, via the simulator's own ``wire.sign``, not the channel's
code). Every signed request gets its own timestamp (``Signer.next_ms``), because a signature is
good for one message only.
"""

from __future__ import annotations

import itertools
import json
import time
import uuid

from devtools.simulators.dingtalk.wire import sign


class Signer:
    """Signed headers with distinct, current timestamps (one millisecond apart)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self._count = itertools.count()
        self._base = int(time.time() * 1000)

    def next_ms(self) -> int:
        return max(int(time.time() * 1000), self._base + next(self._count))

    def headers(self, ts: int | None = None, *, secret: str | None = None) -> dict:
        ts = self.next_ms() if ts is None else ts
        self._base = max(self._base, ts + 1)
        return {"timestamp": str(ts), "sign": sign(secret or self.secret, ts),
                "Content-Type": "application/json; charset=utf-8"}


def robot_body(*, robot_code: str, corp_id: str, conversation_id: str, staff_id: str | None, text: str,
               session_webhook: str | None, is_group: bool = True, msg_id: str | None = None,
               nick: str = "张三", title: str | None = "生产计划群 PMC", **extra) -> dict:
    """A robot message as DingTalk sends it (spec §1.2)."""
    now = int(time.time() * 1000)
    body = {
        "msgtype": "text", "text": {"content": " " + text},
        "msgId": msg_id or "msg" + uuid.uuid4().hex, "createAt": now,
        "conversationType": "2" if is_group else "1", "conversationId": conversation_id,
        "senderId": "$:LWCP_v1:$" + uuid.uuid5(uuid.NAMESPACE_OID, staff_id or "x").hex[:16],
        "senderNick": nick, "senderCorpId": corp_id, "chatbotUserId": "$:LWCP_v1:$robot",
        "chatbotCorpId": corp_id, "robotCode": robot_code, "isAdmin": False, "isInAtList": True,
        "atUsers": [{"dingtalkId": "$:LWCP_v1:$robot"}],
        "sessionWebhook": session_webhook, "sessionWebhookExpiredTime": now + 90 * 60 * 1000,
    }
    if staff_id:
        body["senderStaffId"] = staff_id
    if is_group and title:
        body["conversationTitle"] = title
    if not session_webhook:
        body.pop("sessionWebhook")
        body.pop("sessionWebhookExpiredTime")
    body.update(extra)
    return body


def card_press(*, corp_id: str, out_track_id: str, staff_id: str, space_id: str, decision: str,
               params: dict, is_group: bool = True) -> dict:
    """An interactive-card button press (spec §5)."""
    private = {"cardPrivateData": {"actionIds": [decision], "params": {"decision": decision, **params}}}
    return {"type": "actionCallback", "outTrackId": out_track_id, "corpId": corp_id, "userId": staff_id,
            "userIdType": 1, "spaceType": "IM_GROUP" if is_group else "IM_ROBOT", "spaceId": space_id,
            "extension": "{}", "content": json.dumps(private, ensure_ascii=False)}


def encode(body) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def card_message_id(press: dict) -> str:
    """The message id a card press becomes in the channel (outTrackId, user, action): how its turn is audited."""
    private = json.loads(press["content"])["cardPrivateData"]
    action = private["params"].get("decision") or private["actionIds"][0]
    return f"card:{press['outTrackId']}:{press['userId']}:{action}"
