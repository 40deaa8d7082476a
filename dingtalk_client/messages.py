"""The messages the robot sends: text, markdown and actionCard (spec §2 and §3).

One value, two wire shapes: ``to_webhook_body()`` for a sessionWebhook POST and ``to_openapi()``
for the OpenAPI sends, which take a ``msgKey`` plus ``msgParam`` as a JSON *string*.
Validation happens on construction, so an invalid message never reaches the network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

DTMD_SEND = "dtmd://dingtalkclient/sendMessage?content="
MAX_MSG_PARAM_BYTES = 15_000
MAX_BUTTONS = 5  # sampleActionCard2..5 carry at most five buttons


class InvalidMessage(ValueError):
    """A message DingTalk would refuse; ``field`` names the offending part."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def dtmd_send_url(chat_text: str) -> str:
    """A link that makes the user's client send ``chat_text`` to the robot (spec §2, dtmd://)."""
    return DTMD_SEND + quote(chat_text, safe="")


def chat_text_of(action_url: str) -> str | None:
    """The text a dtmd:// sendMessage link would send, or None for other links."""
    if not action_url.startswith(DTMD_SEND):
        return None
    return unquote(action_url[len(DTMD_SEND):])


def _at_block(at_staff_ids: tuple[str, ...]) -> dict:
    return {"atUserIds": list(at_staff_ids), "atMobiles": [], "isAtAll": False}


def _require(value, name: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidMessage(name, "required")


def _param(payload: dict) -> str:
    text = json.dumps(payload, ensure_ascii=False)
    if len(text.encode("utf-8")) > MAX_MSG_PARAM_BYTES:
        raise InvalidMessage("msgParam", f"longer than {MAX_MSG_PARAM_BYTES} bytes")
    return text


@dataclass(frozen=True)
class Text:
    content: str
    at_staff_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require(self.content, "text.content")
        object.__setattr__(self, "at_staff_ids", tuple(self.at_staff_ids))

    @property
    def msgtype(self) -> str:
        return "text"

    def to_webhook_body(self) -> dict:
        return {"msgtype": "text", "text": {"content": self.content}, "at": _at_block(self.at_staff_ids)}

    def to_openapi(self) -> tuple[str, str]:
        return "sampleText", _param({"content": self.content})


@dataclass(frozen=True)
class Markdown:
    title: str
    text: str
    at_staff_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require(self.title, "markdown.title")
        _require(self.text, "markdown.text")
        object.__setattr__(self, "at_staff_ids", tuple(self.at_staff_ids))

    @property
    def msgtype(self) -> str:
        return "markdown"

    def to_webhook_body(self) -> dict:
        return {
            "msgtype": "markdown",
            "markdown": {"title": self.title, "text": self.text},
            "at": _at_block(self.at_staff_ids),
        }

    def to_openapi(self) -> tuple[str, str]:
        return "sampleMarkdown", _param({"title": self.title, "text": self.text})


@dataclass(frozen=True)
class ActionCard:
    """An actionCard; ``buttons`` are (title, chat text) pairs sent back through dtmd:// links."""

    title: str
    text: str
    buttons: tuple[tuple[str, str], ...] = ()
    single_title: str | None = None
    single_url: str | None = None
    is_horizontal: bool = False
    at_staff_ids: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        _require(self.title, "actionCard.title")
        _require(self.text, "actionCard.text")
        buttons = tuple((str(t), str(c)) for t, c in self.buttons)
        object.__setattr__(self, "buttons", buttons)
        object.__setattr__(self, "at_staff_ids", tuple(self.at_staff_ids))
        has_single = bool(self.single_title or self.single_url)
        if has_single and buttons:
            raise InvalidMessage("actionCard", "singleURL and btns are exclusive")
        if has_single:
            _require(self.single_title, "actionCard.singleTitle")
            _require(self.single_url, "actionCard.singleURL")
        elif not buttons:
            raise InvalidMessage("actionCard.btns", "an actionCard needs btns or singleURL")
        if len(buttons) > MAX_BUTTONS:
            raise InvalidMessage("actionCard.btns", f"at most {MAX_BUTTONS} buttons")
        for title, chat_text in buttons:
            _require(title, "actionCard.btns.title")
            _require(chat_text, "actionCard.btns.actionURL")

    @property
    def msgtype(self) -> str:
        return "actionCard"

    def to_webhook_body(self) -> dict:
        card: dict = {"title": self.title, "text": self.text}
        if self.single_url:
            card.update(singleTitle=self.single_title, singleURL=self.single_url)
        else:
            card["btnOrientation"] = "1" if self.is_horizontal else "0"
            card["btns"] = [{"title": t, "actionURL": dtmd_send_url(c)} for t, c in self.buttons]
        return {"msgtype": "actionCard", "actionCard": card}

    def to_openapi(self) -> tuple[str, str]:
        param: dict = {"title": self.title, "text": self.text}
        if self.single_url:
            param.update(singleTitle=self.single_title, singleURL=self.single_url)
            return "sampleActionCard", _param(param)
        if len(self.buttons) == 1:
            title, chat_text = self.buttons[0]
            param.update(singleTitle=title, singleURL=dtmd_send_url(chat_text))
            return "sampleActionCard", _param(param)
        if self.is_horizontal and len(self.buttons) == 2:
            for i, (title, chat_text) in enumerate(self.buttons, start=1):
                param[f"buttonTitle{i}"], param[f"buttonUrl{i}"] = title, dtmd_send_url(chat_text)
            return "sampleActionCard6", _param(param)
        for i, (title, chat_text) in enumerate(self.buttons, start=1):
            param[f"actionTitle{i}"], param[f"actionURL{i}"] = title, dtmd_send_url(chat_text)
        return f"sampleActionCard{len(self.buttons)}", _param(param)


Message = Text | Markdown | ActionCard


@dataclass(frozen=True)
class InteractiveCard:
    """An interactive card (spec §5): delivered only through the OpenAPI (createAndDeliver);
    its button presses come back as card callbacks (Stream or the signed HTTP /card route).
    ``params`` are the template's cardParamMap (values become strings)."""

    out_track_id: str
    template_id: str
    params: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        _require(self.out_track_id, "interactiveCard.outTrackId")
        _require(self.template_id, "interactiveCard.cardTemplateId")
        object.__setattr__(self, "params", tuple((str(k), str(v)) for k, v in dict(self.params).items()))

    @property
    def msgtype(self) -> str:
        return "interactiveCard"

    def to_stored_body(self) -> dict:
        return {
            "msgtype": "interactiveCard",
            "interactiveCard": {
                "outTrackId": self.out_track_id,
                "cardTemplateId": self.template_id,
                "cardParamMap": dict(self.params),
            },
        }

    @classmethod
    def from_stored_body(cls, body: dict) -> InteractiveCard:
        part = body.get("interactiveCard") or {}
        return cls(part.get("outTrackId"), part.get("cardTemplateId"), tuple((part.get("cardParamMap") or {}).items()))


def _at_staff_ids(body: dict) -> tuple[str, ...]:
    at = body.get("at") or {}
    ids = at.get("atUserIds") or []
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise InvalidMessage("at.atUserIds", "must be a list of staff ids")
    return tuple(ids)


def from_webhook_body(body: dict) -> Message:
    """Parse and validate a full DingTalk message body (as actions build it for ``custom``)."""
    if not isinstance(body, dict):
        raise InvalidMessage("body", "must be an object")
    msgtype = body.get("msgtype")
    part = body.get(msgtype) if isinstance(msgtype, str) else None
    if msgtype not in ("text", "markdown", "actionCard"):
        raise InvalidMessage("msgtype", f"unsupported {msgtype!r}")
    if not isinstance(part, dict):
        raise InvalidMessage(msgtype, "missing")
    if msgtype == "text":
        return Text(part.get("content"), _at_staff_ids(body))
    if msgtype == "markdown":
        return Markdown(part.get("title"), part.get("text"), _at_staff_ids(body))
    if part.get("btns") and (part.get("singleURL") or part.get("singleTitle")):
        raise InvalidMessage("actionCard", "singleURL and btns are exclusive")
    buttons = []
    for btn in part.get("btns") or []:
        url = btn.get("actionURL") or ""
        chat_text = chat_text_of(url)
        if chat_text is None:
            # Only dtmd:// buttons round-trip through the OpenAPI fallback without loss.
            raise InvalidMessage("actionCard.btns.actionURL", "must be a dtmd://dingtalkclient/sendMessage link")
        buttons.append((btn.get("title"), chat_text))
    return ActionCard(
        title=part.get("title"),
        text=part.get("text"),
        buttons=tuple(buttons),
        single_title=part.get("singleTitle"),
        single_url=part.get("singleURL"),
        is_horizontal=str(part.get("btnOrientation", "0")) == "1",
    )
