"""DingTalk's side of the wire, as pure functions: ids, signatures, callback bodies, frames,
and the validation DingTalk applies to what a robot sends (spec §1, §2, §3, §4.2).

Deliberately independent of ``connectors/``: the simulator re-implements the protocol from the
spec, so a bug in the channel cannot hide behind the same bug here.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from typing import Any
from urllib.parse import unquote

SESSION_TTL_MS = 90 * 60 * 1000  # documented example: ~90 min after createAt
DTMD_SEND = "dtmd://dingtalkclient/sendMessage?content="
MSG_PARAM_MAX_BYTES = 15_000
MAX_USER_IDS = 20

ERR_OK = (0, "ok")
ERR_TOKEN = (300001, "token is not exist")
ERR_PARAM = (40035, "缺少参数 json")
ERR_THROTTLED = (130101, "send too fast, exceed 20 times per minute")

# msgKey -> required msgParam fields (spec §3)
MSG_KEYS: dict[str, tuple[str, ...]] = {
    "sampleText": ("content",),
    "sampleMarkdown": ("title", "text"),
    "sampleImageMsg": ("photoURL",),
    "sampleLink": ("text", "title", "picUrl", "messageUrl"),
    "sampleActionCard": ("title", "text", "singleTitle", "singleURL"),
    **{
        f"sampleActionCard{n}": ("title", "text", *(f"actionTitle{i}" for i in range(1, n + 1)),
                                 *(f"actionURL{i}" for i in range(1, n + 1)))
        for n in range(2, 6)
    },
    "sampleActionCard6": ("title", "text", "buttonTitle1", "buttonUrl1", "buttonTitle2", "buttonUrl2"),
}


def sign(app_secret: str, timestamp_ms: int | str) -> str:
    digest = hmac.new(app_secret.encode(), f"{timestamp_ms}\n{app_secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def encrypted_id(kind: str, value: str) -> str:
    """Stable stand-in for DingTalk's encrypted ids (senderId, chatbotUserId, dingtalkId)."""
    digest = hashlib.sha256(f"{kind}:{value}".encode()).digest()[:12]
    return "$:LWCP_v1:$" + base64.b64encode(digest).decode()


def dm_conversation_id(staff_id: str) -> str:
    """The 1:1 conversation between a person and the robot (a cid like DingTalk's)."""
    digest = hashlib.sha256(f"1to1:{staff_id}".encode()).digest()[:15]
    return "cid" + base64.b64encode(digest).decode().replace("/", "x").replace("+", "y")


def new_msg_id() -> str:
    return "msg" + base64.b64encode(uuid.uuid4().bytes).decode()


def new_message_id(now_ms: int, counter: int) -> str:
    return f"{uuid.uuid4().hex[:8]}_{now_ms:x}_{counter}"


def chat_text_of(url: str) -> str | None:
    return unquote(url[len(DTMD_SEND):]) if isinstance(url, str) and url.startswith(DTMD_SEND) else None


def robot_message_body(
    *,
    robot_code: str,
    corp_id: str,
    robot_name: str,
    conversation_id: str,
    conversation_title: str | None,
    is_group: bool,
    staff_id: str | None,
    sender_key: str,
    sender_nick: str,
    sender_corp_id: str,
    text: str,
    msg_id: str,
    now_ms: int,
    session_webhook: str,
    msgtype: str = "text",
    at_bot: bool = True,
    at_staff_ids: tuple[str, ...] = (),
    keep_mention: bool = False,
    is_admin: bool = False,
) -> dict:
    """A robot message as DingTalk posts it (spec §1.2): string conversationType, ms times,
    content with the @-mention removed and a leading space."""
    bot_user = encrypted_id("robot", robot_code)
    at_users = ([{"dingtalkId": bot_user}] if at_bot else []) + [
        {"dingtalkId": encrypted_id("user", s), "staffId": s} for s in at_staff_ids
    ]
    content = f"@{robot_name} {text}" if keep_mention else f" {text}"
    body: dict[str, Any] = {"msgtype": msgtype}
    if msgtype == "text":
        body["text"] = {"content": content}
    elif msgtype == "audio":
        body["content"] = {"downloadCode": "dc" + uuid.uuid4().hex, "duration": 3000, "recognition": text}
    elif msgtype == "richText":
        words = text.split(" ", 1)
        parts = [{"text": words[0] + (" " if len(words) > 1 else "")}]
        if len(words) > 1:
            parts += [{"type": "picture", "downloadCode": "dc" + uuid.uuid4().hex}, {"text": words[1]}]
        body["content"] = {"richText": parts}
    elif msgtype == "picture":
        code = "dc" + uuid.uuid4().hex
        body["content"] = {"downloadCode": code, "pictureDownloadCode": code}
    else:
        raise ValueError(f"unsupported msgtype {msgtype}")
    body.update(
        msgId=msg_id,
        createAt=now_ms,
        conversationType="2" if is_group else "1",
        conversationId=conversation_id,
        senderId=encrypted_id("user", sender_key),
        senderNick=sender_nick,
        senderCorpId=sender_corp_id,
        chatbotUserId=bot_user,
        chatbotCorpId=corp_id,
        robotCode=robot_code,
        isAdmin=is_admin,
        isInAtList=at_bot,
        atUsers=at_users,
        sessionWebhook=session_webhook,
        sessionWebhookExpiredTime=now_ms + SESSION_TTL_MS,
    )
    if is_group:
        body["conversationTitle"] = conversation_title
    if staff_id:
        body["senderStaffId"] = staff_id
    return body


def frame(kind: str, topic: str, data: dict, *, message_id: str, now_ms: int, app_id: str,
          connection_id: str) -> dict:
    """A server->client Stream frame (spec §4.2): ``data`` is a JSON string, ``time`` a string."""
    headers = {"contentType": "application/json", "messageId": message_id, "time": str(now_ms), "topic": topic}
    if kind != "SYSTEM":
        headers.update(appId=app_id, connectionId=connection_id)
    return {"specVersion": "1.0", "type": kind, "headers": headers,
            "data": json.dumps(data, ensure_ascii=False)}


def card_callback_data(*, out_track_id: str, corp_id: str, staff_id: str, space_type: str, space_id: str,
                       params: dict) -> dict:
    """A card button press (spec §5): ``content`` and ``extension`` are JSON strings."""
    action = params.get("decision") or params.get("action") or "submit"
    content = {"cardPrivateData": {"actionIds": [action], "params": params}}
    return {
        "type": "actionCallback", "outTrackId": out_track_id, "corpId": corp_id, "userId": staff_id,
        "userIdType": 1, "spaceType": space_type, "spaceId": space_id, "extension": "{}",
        "content": json.dumps(content, ensure_ascii=False),
    }


# --- what the robot sends: validation and a readable record ------------------------------------
def _buttons_from_card(card: dict) -> list[dict]:
    if card.get("btns"):
        return [{"title": b.get("title"), "content": chat_text_of(b.get("actionURL")), "url": b.get("actionURL")}
                for b in card["btns"]]
    if card.get("singleTitle"):
        return [{"title": card["singleTitle"], "content": chat_text_of(card.get("singleURL")),
                 "url": card.get("singleURL")}]
    return []


def check_webhook_body(body: Any) -> tuple[int, str] | None:
    """The errcode DingTalk answers for an invalid sessionWebhook body, None if valid (§2, §7.4)."""
    if not isinstance(body, dict):
        return ERR_PARAM
    msgtype = body.get("msgtype")
    part = body.get(msgtype) if isinstance(msgtype, str) else None
    if msgtype not in ("text", "markdown", "actionCard", "link", "feedCard") or not isinstance(part, dict):
        return ERR_PARAM
    if msgtype == "text" and not str(part.get("content") or "").strip():
        return ERR_PARAM
    if msgtype == "markdown" and not (part.get("title") and part.get("text")):
        return ERR_PARAM
    if msgtype == "actionCard":
        has_single = bool(part.get("singleURL") or part.get("singleTitle"))
        if not (part.get("title") and part.get("text")) or (has_single and part.get("btns")):
            return ERR_PARAM
        if not has_single and not part.get("btns"):
            return ERR_PARAM
        if any(not (b.get("title") and b.get("actionURL")) for b in part.get("btns") or []):
            return ERR_PARAM
    if msgtype == "link" and not (part.get("messageUrl") and part.get("title")):
        return ERR_PARAM
    if msgtype == "feedCard" and not part.get("links"):
        return ERR_PARAM
    return None


def record_from_webhook(body: dict) -> dict:
    msgtype = body["msgtype"]
    part = body[msgtype]
    if msgtype == "text":
        return {"msgtype": "text", "title": None, "text": part["content"], "buttons": []}
    if msgtype == "markdown":
        return {"msgtype": "markdown", "title": part["title"], "text": part["text"], "buttons": []}
    if msgtype == "actionCard":
        return {"msgtype": "actionCard", "title": part["title"], "text": part["text"],
                "buttons": _buttons_from_card(part)}
    if msgtype == "link":
        return {"msgtype": "link", "title": part.get("title"), "text": part.get("text"), "buttons": []}
    return {"msgtype": msgtype, "title": None, "text": json.dumps(part, ensure_ascii=False), "buttons": []}


def check_msg_param(msg_key: Any, msg_param: Any) -> tuple[str | None, dict | None]:
    """(error code, parsed param) for an OpenAPI send (spec §3, §7.7)."""
    if msg_key not in MSG_KEYS:
        return "invalidParameter.msgKey.invalid", None
    if not isinstance(msg_param, str):  # must be a JSON *string*
        return "invalidParameter.msgParam.invalid", None
    if len(msg_param.encode()) > MSG_PARAM_MAX_BYTES:
        return "invalidParameter.msgParam.invalid", None
    try:
        param = json.loads(msg_param)
    except ValueError:
        return "invalidParameter.msgParam.invalid", None
    if not isinstance(param, dict) or any(not param.get(k) for k in MSG_KEYS[msg_key]):
        return "invalidParameter.msgParam.invalid", None
    return None, param


def record_from_openapi(msg_key: str, param: dict) -> dict:
    if msg_key == "sampleText":
        return {"msgtype": "text", "title": None, "text": param["content"], "buttons": []}
    if msg_key == "sampleMarkdown":
        return {"msgtype": "markdown", "title": param["title"], "text": param["text"], "buttons": []}
    if msg_key == "sampleImageMsg":
        return {"msgtype": "image", "title": None, "text": param["photoURL"], "buttons": []}
    if msg_key == "sampleLink":
        return {"msgtype": "link", "title": param["title"], "text": param["text"], "buttons": []}
    if msg_key == "sampleActionCard":
        buttons = [{"title": param["singleTitle"], "content": chat_text_of(param["singleURL"]),
                    "url": param["singleURL"]}]
    elif msg_key == "sampleActionCard6":
        buttons = [{"title": param[f"buttonTitle{i}"], "content": chat_text_of(param[f"buttonUrl{i}"]),
                    "url": param[f"buttonUrl{i}"]} for i in (1, 2)]
    else:
        n = int(msg_key[-1])
        buttons = [{"title": param[f"actionTitle{i}"], "content": chat_text_of(param[f"actionURL{i}"]),
                    "url": param[f"actionURL{i}"]} for i in range(1, n + 1)]
    return {"msgtype": "actionCard", "title": param["title"], "text": param["text"], "buttons": buttons}
