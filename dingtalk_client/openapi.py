"""DingTalk OpenAPI (api.dingtalk.com) and sessionWebhook sends, sync and async.

The action server uses ``DingTalkOpenAPI`` (plain sync code) for proactive sends: approval
cards to managers, notices to the production group. The channel uses ``AsyncDingTalkOpenAPI``.
Both share the request builders and the error mapping below; only the I/O differs.

Errors (spec §2/§3): api.dingtalk.com answers a non-2xx status with
``{"code","message","requestid"}``; sessionWebhook answers HTTP 200 with a non-zero ``errcode``.
Both are translated here, once, into the ``DingTalkError`` family.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from typing_extensions import Self

from dingtalk_client.config import DingTalkConfig
from dingtalk_client.messages import Message

log = logging.getLogger(__name__)

TOKEN_MARGIN_S = 300  # refresh 5 min before expiry, like the official SDK
ERRCODE_THROTTLED = 130101


# --- errors -----------------------------------------------------------------------------------
class DingTalkError(Exception):
    """Base for everything this module raises."""


class DingTalkUnavailable(DingTalkError):
    """Network error, timeout or 5xx: the send may be retried."""


class DingTalkThrottled(DingTalkError):
    """Sent too fast; wait and retry. ``staff_ids``: the throttled recipients of a 1:1 send."""

    def __init__(self, message: str = "throttled", staff_ids: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.staff_ids = tuple(staff_ids)


class DingTalkApiError(DingTalkError):
    """api.dingtalk.com refused the call."""

    def __init__(self, status: int, code: str, message: str, request_id: str = "") -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message, self.request_id = status, code, message, request_id


class DingTalkAuthError(DingTalkApiError):
    """Bad access token or app credentials."""


class DingTalkInvalidParameter(DingTalkApiError):
    """400 ``invalidParameter.*``: retrying the same call cannot succeed."""


class DingTalkApiThrottled(DingTalkApiError, DingTalkThrottled):
    pass


class SessionWebhookError(DingTalkError):
    """A sessionWebhook answered a non-zero errcode (bad/expired session, invalid body...)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        DingTalkError.__init__(self, f"errcode {errcode}: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg
        self.staff_ids = ()


class SessionWebhookThrottled(SessionWebhookError, DingTalkThrottled):
    """errcode 130101: send too fast, exceed 20 times per minute."""


def api_error(status: int, body: Any) -> DingTalkError | None:
    """The error for an api.dingtalk.com response, None on success (pure)."""
    if 200 <= status < 300:
        return None
    if status >= 500:
        return DingTalkUnavailable(f"HTTP {status}")
    body = body if isinstance(body, dict) else {}
    code = str(body.get("code") or "")
    message = str(body.get("message") or "")
    request_id = str(body.get("requestid") or body.get("requestId") or "")
    # The QPS-limit code is unconfirmed (spec §3): treat 429 and *Throttling*/*QpsLimit* alike.
    if status == 429 or "throttl" in code.lower() or "qpslimit" in code.lower():
        return DingTalkApiThrottled(status, code, message, request_id)
    if status in (401, 403) or code in ("InvalidAuthentication", "Forbidden.AccessDenied.AccessTokenPermissionDenied"):
        return DingTalkAuthError(status, code, message, request_id)
    if code.startswith(("invalidParameter", "MissingParameter")):
        return DingTalkInvalidParameter(status, code, message, request_id)
    return DingTalkApiError(status, code, message, request_id)


def webhook_error(status: int, body: Any) -> DingTalkError | None:
    """The error for a sessionWebhook response, None on success (pure)."""
    if status >= 500:
        return DingTalkUnavailable(f"HTTP {status}")
    if status != 200 or not isinstance(body, dict):
        return SessionWebhookError(-status, "unexpected response")
    errcode = int(body.get("errcode", -1))
    if errcode == 0:
        return None
    errmsg = str(body.get("errmsg", ""))
    if errcode == ERRCODE_THROTTLED:
        return SessionWebhookThrottled(errcode, errmsg)
    return SessionWebhookError(errcode, errmsg)


# --- requests (pure builders) -----------------------------------------------------------------
@dataclass(frozen=True)
class Call:
    method: str
    path: str  # absolute URL for sessionWebhook calls
    body: dict
    is_authenticated: bool = True
    is_webhook: bool = False


@dataclass(frozen=True)
class UsersSendResult:
    process_query_key: str
    invalid_staff_ids: tuple[str, ...] = ()
    throttled_staff_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class CardDelivery:
    out_track_id: str
    delivered: bool
    failures: tuple[str, ...] = field(default=())


def _json_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class _Calls:
    """The OpenAPI operations, written once; subclasses say how ``_run`` does the I/O."""

    def __init__(self, config: DingTalkConfig) -> None:
        if not isinstance(config, DingTalkConfig):
            raise TypeError(f"{type(self).__name__} takes a DingTalkConfig, not {type(config).__name__}")
        self.app_key = config.app_key
        self._app_secret = config.app_secret
        self.robot_code = config.robot_code
        self.mode = config.mode
        self.base_url = config.openapi_url.rstrip("/")
        self._token: str | None = None
        self._token_expires_at = 0.0

    def _run(self, call: Call, parse: Callable[[Any], Any]):  # pragma: no cover - abstract
        raise NotImplementedError

    def _token_call(self) -> Call:
        return Call(
            "POST", "/v1.0/oauth2/accessToken", {"appKey": self.app_key, "appSecret": self._app_secret}, False
        )

    def _store_token(self, body: Any, now: float) -> str:
        if not isinstance(body, dict) or not body.get("accessToken"):
            raise DingTalkUnavailable("accessToken missing from the token response")
        self._token = str(body["accessToken"])
        self._token_expires_at = now + max(int(body.get("expireIn", 7200)) - TOKEN_MARGIN_S, 0)
        return self._token

    def _has_fresh_token(self, now: float) -> bool:
        return self._token is not None and now < self._token_expires_at

    def invalidate_token(self) -> None:
        self._token = None

    # operations
    def send_group(self, conversation_id: str, message: Message):
        """Send to a group by openConversationId; returns the processQueryKey."""
        msg_key, msg_param = message.to_openapi()
        body = {"robotCode": self.robot_code, "openConversationId": conversation_id, "msgKey": msg_key,
                "msgParam": msg_param}
        return self._run(Call("POST", "/v1.0/robot/groupMessages/send", body), lambda b: b["processQueryKey"])

    def send_to_users(self, staff_ids: Iterable[str], message: Message):
        """Send 1:1 to each staff id; returns a ``UsersSendResult`` (throttled ids are not sent)."""
        msg_key, msg_param = message.to_openapi()
        body = {"robotCode": self.robot_code, "userIds": list(staff_ids), "msgKey": msg_key,
                "msgParam": msg_param}

        def parse(b: dict) -> UsersSendResult:
            return UsersSendResult(
                b.get("processQueryKey", ""),
                tuple(b.get("invalidStaffIdList") or ()),
                tuple(b.get("flowControlledStaffIdList") or ()),
            )

        return self._run(Call("POST", "/v1.0/robot/oToMessages/batchSend", body), parse)

    def send_card(
        self,
        out_track_id: str,
        template_id: str,
        card_params: Mapping[str, Any],
        *,
        conversation_id: str | None = None,
        staff_id: str | None = None,
        at_staff: Mapping[str, str] | None = None,
        callback_type: str | None = None,
        callback_route_key: str | None = None,
    ):
        """Create and deliver an interactive card (spec §5) to a group or 1:1; returns ``CardDelivery``.

        ``out_track_id`` is ours, unique, and the handle for ``update_card``; ``at_staff`` maps
        staffId -> nickname for the group @-mentions.
        """
        if bool(conversation_id) == bool(staff_id):
            raise ValueError("give exactly one of conversation_id or staff_id")
        # Button presses come back the way the robot listens: Stream frames or the HTTP /card route.
        callback_type = callback_type or ("STREAM" if self.mode == "stream" else "HTTP")
        body: dict = {
            "cardTemplateId": template_id,
            "outTrackId": out_track_id,
            "callbackType": callback_type,
            "cardData": {"cardParamMap": {k: _card_value(v) for k, v in card_params.items()}},
            "userIdType": 1,
        }
        if callback_type == "HTTP" and callback_route_key:
            body["callbackRouteKey"] = callback_route_key
        if conversation_id:
            body["openSpaceId"] = f"dtv1.card//IM_GROUP.{conversation_id}"
            body["imGroupOpenSpaceModel"] = {"supportForward": False}
            body["imGroupOpenDeliverModel"] = {"robotCode": self.robot_code, "atUserIds": dict(at_staff or {})}
        else:
            body["openSpaceId"] = f"dtv1.card//IM_ROBOT.{staff_id}"
            body["imRobotOpenSpaceModel"] = {"supportForward": False}
            body["imRobotOpenDeliverModel"] = {"spaceType": "IM_ROBOT", "robotCode": self.robot_code}

        def parse(b: dict) -> CardDelivery:
            results = (b.get("result") or {}).get("deliverResults") or []
            failures = tuple(str(r.get("errorMsg") or r.get("spaceId")) for r in results if not r.get("success"))
            return CardDelivery(out_track_id, bool(results) and not failures, failures)

        return self._run(Call("POST", "/v1.0/card/instances/createAndDeliver", body), parse)

    def update_card(
        self,
        out_track_id: str,
        card_params: Mapping[str, Any],
        *,
        private_data: Mapping[str, Mapping[str, Any]] | None = None,
    ):
        """Update a delivered card's public params (and per-user private params) by key."""
        body: dict = {
            "outTrackId": out_track_id,
            "cardData": {"cardParamMap": {k: _card_value(v) for k, v in card_params.items()}},
            "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
            "userIdType": 1,
        }
        if private_data:
            body["privateData"] = {
                staff: {"cardParamMap": {k: _card_value(v) for k, v in params.items()}}
                for staff, params in private_data.items()
            }
        return self._run(Call("PUT", "/v1.0/card/instances", body), lambda b: bool(b.get("success", True)))

    def send_interactive_card(
        self,
        card_biz_id: str,
        card_data: Mapping[str, Any],
        *,
        conversation_id: str | None = None,
        staff_id: str | None = None,
    ):
        """The robot "StandardCard" send the SDK's ``reply_card`` uses (the doubled path is real)."""
        if bool(conversation_id) == bool(staff_id):
            raise ValueError("give exactly one of conversation_id or staff_id")
        body: dict = {
            "cardTemplateId": "StandardCard",
            "robotCode": self.robot_code,
            "cardData": json.dumps(card_data, ensure_ascii=False),
            "cardBizId": card_biz_id,
            "sendOptions": {"atAll": False},
        }
        if conversation_id:
            body["openConversationId"] = conversation_id
        else:
            body["singleChatReceiver"] = json.dumps({"userId": staff_id})
        return self._run(
            Call("POST", "/v1.0/im/v1.0/robot/interactiveCards/send", body), lambda b: b.get("processQueryKey", "")
        )

    def is_group_member(self, conversation_id: str, staff_id: str):
        """Is ``staff_id`` a member of the internal group ``conversation_id``? (im_1.0
        CheckUserIsGroupMember: ``POST /v1.0/im/innerGroups/members/check``.)"""
        body = {"openConversationId": conversation_id, "userId": staff_id}
        return self._run(Call("POST", "/v1.0/im/innerGroups/members/check", body), lambda b: b.get("result") is True)

    def post_session_webhook(self, url: str, message: Message):
        """Reply through a message's sessionWebhook (no token: the session in the URL authenticates)."""
        return self._run(Call("POST", url, message.to_webhook_body(), False, True), lambda b: None)


def _card_value(value: Any) -> str:
    # cardParamMap values are strings on the wire (spec §5).
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _check(call: Call, response: httpx.Response) -> Any:
    body = _json_body(response)
    error = (webhook_error if call.is_webhook else api_error)(response.status_code, body)
    if error:
        raise error
    return body if body is not None else {}


class DingTalkOpenAPI(_Calls):
    """Sync client; safe to share between threads."""

    def __init__(self, config: DingTalkConfig, *, transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], float] = time.monotonic, timeout_s: float = 10.0) -> None:
        super().__init__(config)
        self._clock = clock
        self._lock = threading.Lock()
        # never follow a redirect: a reply goes to the checked URL or nowhere
        self._http = httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout_s,
                                  follow_redirects=False)

    def access_token(self) -> str:
        with self._lock:
            if self._has_fresh_token(self._clock()):
                return self._token  # type: ignore[return-value]
            call = self._token_call()
            body = self._send(call, None)
            return self._store_token(body, self._clock())

    def _send(self, call: Call, token: str | None) -> Any:
        headers = {"x-acs-dingtalk-access-token": token} if token else {}
        try:
            response = self._http.request(call.method, call.path, json=call.body, headers=headers)
        except httpx.HTTPError as exc:
            raise DingTalkUnavailable(f"{type(exc).__name__} on {call.method} {_where(call)}") from exc
        return _check(call, response)

    def _run(self, call: Call, parse: Callable[[Any], Any]):
        if not call.is_authenticated:
            return parse(self._send(call, None))
        try:
            return parse(self._send(call, self.access_token()))
        except DingTalkAuthError:
            # The token may have been revoked or expired early: fetch a new one once.
            self.invalidate_token()
            return parse(self._send(call, self.access_token()))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class AsyncDingTalkOpenAPI(_Calls):
    """Async client for the channel (Sanic event loop)."""

    def __init__(self, config: DingTalkConfig, *, transport: httpx.AsyncBaseTransport | None = None,
                 clock: Callable[[], float] = time.monotonic, timeout_s: float = 10.0) -> None:
        super().__init__(config)
        self._clock = clock
        self._lock: asyncio.Lock | None = None
        self._http = httpx.AsyncClient(base_url=self.base_url, transport=transport, timeout=timeout_s,
                                       follow_redirects=False)

    async def access_token(self) -> str:
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            if self._has_fresh_token(self._clock()):
                return self._token  # type: ignore[return-value]
            body = await self._send(self._token_call(), None)
            return self._store_token(body, self._clock())

    async def _send(self, call: Call, token: str | None) -> Any:
        headers = {"x-acs-dingtalk-access-token": token} if token else {}
        try:
            response = await self._http.request(call.method, call.path, json=call.body, headers=headers)
        except httpx.HTTPError as exc:
            raise DingTalkUnavailable(f"{type(exc).__name__} on {call.method} {_where(call)}") from exc
        return _check(call, response)

    async def _run(self, call: Call, parse: Callable[[Any], Any]):
        if not call.is_authenticated:
            return parse(await self._send(call, None))
        try:
            return parse(await self._send(call, await self.access_token()))
        except DingTalkAuthError:
            self.invalidate_token()
            return parse(await self._send(call, await self.access_token()))

    async def aclose(self) -> None:
        await self._http.aclose()


def _where(call: Call) -> str:
    # Never log a sessionWebhook URL in full: its query string is the session credential.
    return call.path.split("?", 1)[0]
