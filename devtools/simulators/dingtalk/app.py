"""The DingTalk simulator: plays DingTalk to our robot, over real HTTP and websockets.

DingTalk-facing routes answer like DingTalk (spec §7): sessionWebhook errcodes in HTTP 200,
OpenAPI ``{code,message,requestid}`` with 4xx, tokens that expire on the simulator clock, the
Stream gateway the official SDK connects to unchanged. ``/_sim/*`` is the test/admin API and
``/`` and ``/phone`` are chat pages for people.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from devtools.simulators.dingtalk import login, members, oa, wire
from devtools.simulators.dingtalk.event_push import EventPusher
from devtools.simulators.dingtalk.gateway import Gateway
from devtools.simulators.dingtalk.oa import OASim
from devtools.simulators.dingtalk.state import Card, Group, Person, Session, SimState

STATIC = Path(__file__).resolve().parent / "static"
TOPIC_ROBOT = "/v1.0/im/bot/messages/get"
TOPIC_CARD = "/v1.0/card/instances/callback"
OUTSIDE_CORP = "dingexternal0001"
# A 1x1 PNG for messageFiles/download.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005000201a5f3e9c40000000049454e44ae426082"
)


class ChatIn(BaseModel):
    conversation_id: str | None = None  # None: 1:1 with the robot
    staff_id: str
    text: str = ""
    msg_id: str | None = None  # reuse to simulate a redelivery
    at_bot: bool = True
    at_staff_ids: list[str] = []
    msgtype: str = "text"  # text | audio | richText | picture
    external: bool = False  # a sender from another org: no senderStaffId
    sign: str = "valid"  # valid | stale | forged | none
    keep_mention: bool = False  # leave "@<robot> " in the content
    via: str = "auto"  # auto | http | stream
    # the message is made (and its body kept) but not delivered now: a later call with its msg_id
    # delivers the very same body, as DingTalk's retry after an outage does, however late
    hold: bool = False


class CardActionIn(BaseModel):
    out_track_id: str
    staff_id: str
    params: dict = {}


class GroupIn(BaseModel):
    conversation_id: str
    title: str
    members: list[str]


class ClockIn(BaseModel):
    advance_s: float = 0


def _api_error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "requestid": uuid.uuid4().hex.upper()}, status)


def _errcode(pair: tuple[int, str]) -> JSONResponse:
    return JSONResponse({"errcode": pair[0], "errmsg": pair[1]})  # errors too are HTTP 200


async def _json(request: Request) -> Any:
    try:
        return json.loads(await request.body() or b"null")
    except ValueError:
        return None


def _people(factory) -> list[Person]:
    people = [Person(p.dingtalk_staff_id, p.cn, p.uid, tuple(p.groups)) for p in factory.people]
    # The fixture's DingTalk member without a directory entry.
    people.append(Person("stranger0001", "陌生人 Stranger", None, ()))
    return people


def create_app(settings=None, *, factory=None, public_url: str | None = None, ack_timeout_s: float = 5.0,
               max_redeliveries: int = 3, ping_interval_s: float = 30.0, ticket_ttl_s: int = 90,
               disconnect_grace_s: float = 1.0, bot_timeout_s: float = 5.0,
               event_retry_base_s: float = 1.0) -> FastAPI:
    if settings is None:
        from rasa_project.settings import get_settings

        settings = get_settings()
    if factory is None:
        from devtools.factory import load_factory

        factory = load_factory(settings.fixture_path)
    dt = factory.dingtalk
    state = SimState(
        app_key=dt.get("app_key", settings.dingtalk_app_key),
        app_secret=dt.get("app_secret", settings.dingtalk_app_secret.get_secret_value()),
        robot_code=dt.get("robot_code", settings.dingtalk_robot_code),
        corp_id=dt.get("corp_id", settings.dingtalk_corp_id),
        robot_name=settings.dingtalk_robot_name,
        people=_people(factory),
        groups=[Group(g.open_conversation_id, g.title, list(g.members)) for g in factory.groups],
        throttle_limit=settings.dingtalk_sim_rate_per_minute,
    )
    gateway = Gateway(state, ack_timeout_s=ack_timeout_s, max_redeliveries=max_redeliveries,
                      ping_interval_s=ping_interval_s, ticket_ttl_s=ticket_ttl_s,
                      disconnect_grace_s=disconnect_grace_s)
    bot_url = settings.dingtalk_bot_webhook_url
    managers = settings.ldap_group_managers

    http_holder: dict[str, httpx.AsyncClient] = {}

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        if "client" in http_holder:
            await http_holder.pop("client").aclose()

    app = FastAPI(title="DingTalk simulator", docs_url="/_sim/docs", openapi_url="/_sim/openapi.json",
                  lifespan=lifespan)
    app.state.sim = state
    app.state.gateway = gateway
    app.state.bot_url = bot_url
    app.state.sent_bodies = {}  # msgId -> the callback body, resent unchanged on redelivery
    def http() -> httpx.AsyncClient:
        if "client" not in http_holder:
            http_holder["client"] = httpx.AsyncClient(timeout=bot_timeout_s)
        return http_holder["client"]

    def base_url(request: Request) -> str:
        return (public_url or str(request.base_url)).rstrip("/")

    # --- OA approval (审批) and event subscription (devtools/simulators/dingtalk/oa.py) ----------
    pusher = EventPusher(token=dt.get("event_token", settings.dingtalk_event_token),
                         aes_key=dt.get("event_aes_key", settings.dingtalk_event_aes_key.get_secret_value()),
                         owner_key=state.app_key, http=http, retry_base_s=event_retry_base_s)
    app.state.oa = OASim(state, gateway, pusher, template=oa.demo_template(),
                         process_code=dt.get("approval_process_code", settings.dingtalk_approval_process_code),
                         org_name=(getattr(factory, "organization", None) or {}).get("name", ""))
    app.include_router(oa.router(app.state.oa, base_url=base_url))

    # --- request log and fault injection (spec §7.14) -------------------------------------------
    @app.middleware("http")
    async def log_and_faults(request: Request, call_next):
        path = request.url.path
        is_dingtalk = not path.startswith("/_sim") and path not in ("/", "/phone", "/favicon.ico")
        if is_dingtalk:
            fault = state.take_fault(path)
            if fault:
                if fault.get("delay_ms"):
                    await asyncio.sleep(fault["delay_ms"] / 1000)
                if fault.get("errcode"):
                    response = _errcode((int(fault["errcode"]), str(fault.get("errmsg", "fault"))))
                    state.requests.append({"time_ms": state.clock.now_ms(), "method": request.method,
                                           "path": path, "status": 200, "fault": True})
                    return response
                if fault.get("status"):
                    status = int(fault["status"])
                    state.requests.append({"time_ms": state.clock.now_ms(), "method": request.method,
                                           "path": path, "status": status, "fault": True})
                    return _api_error(status, "ServiceUnavailable" if status >= 500 else "Fault", "injected")
        response = await call_next(request)
        if is_dingtalk:
            state.requests.append({"time_ms": state.clock.now_ms(), "method": request.method, "path": path,
                                   "status": response.status_code})
        return response

    def authenticated(request: Request) -> JSONResponse | None:
        if not state.token_is_valid(request.headers.get("x-acs-dingtalk-access-token")):
            return _api_error(401, "InvalidAuthentication", "不合法的access_token")
        return None

    members.register(app, state, authenticated, _api_error)  # group membership (members.py)
    login.register(app, state, _api_error)  # "Sign in with DingTalk": OAuth 2.0 authorization code (login.py)

    # --- OAuth ----------------------------------------------------------------------------------
    @app.post("/v1.0/oauth2/accessToken")
    async def access_token(request: Request):
        body = await _json(request)
        if not isinstance(body, dict) or not body.get("appKey") or not body.get("appSecret"):
            return _api_error(400, "MissingParameter", "appKey and appSecret are required")
        if body["appKey"] != state.app_key or body["appSecret"] != state.app_secret:
            return _api_error(401, "InvalidAuthentication", "appKey or appSecret invalid")
        token, expire_in = state.issue_token()
        return {"accessToken": token, "expireIn": expire_in}

    # --- sessionWebhook (spec §2) -------------------------------------------------------------------
    @app.post("/robot/sendBySession")
    async def send_by_session(request: Request, session: str = ""):
        found = state.sessions.get(session)
        if found is None or found.expires_ms <= state.clock.now_ms():
            return _errcode(wire.ERR_TOKEN)
        body = await _json(request)
        problem = wire.check_webhook_body(body)
        if problem:
            return _errcode(problem)
        if state.throttle(found.conversation_id):
            return _errcode(wire.ERR_THROTTLED)
        record = wire.record_from_webhook(body)
        at_ids = list((body.get("at") or {}).get("atUserIds") or [])
        to = at_ids if found.is_group else [found.staff_id]
        state.record(conversation_id=found.conversation_id, to_staff_ids=[s for s in to if s], raw=body,
                     via="webhook", in_reply_to=found.msg_id, **record)
        return _errcode(wire.ERR_OK)

    # --- OpenAPI robot sends (spec §3) ------------------------------------------------------------
    def _robot_code_error(body: dict) -> JSONResponse | None:
        if not body.get("robotCode"):
            return _api_error(400, "invalidParameter.robotCode.empty", "robotCode is required")
        if body["robotCode"] != state.robot_code:
            return _api_error(400, "invalidParameter.robotCode.invalid", "robot does not exist")
        return None

    async def _robot_send_body(request: Request) -> tuple[dict | None, JSONResponse | None]:
        """An authenticated robot send's JSON body, or DingTalk's error for what is wrong with it."""
        refused = authenticated(request)
        if refused:
            return None, refused
        body = await _json(request)
        if not isinstance(body, dict):
            return None, _api_error(400, "invalidParameter.body.invalid", "body must be JSON")
        return body, _robot_code_error(body)

    @app.post("/v1.0/robot/groupMessages/send")
    async def group_send(request: Request):
        body, refused = await _robot_send_body(request)
        if refused:
            return refused
        group = state.groups.get(body.get("openConversationId") or "")
        if group is None:
            return _api_error(400, "invalidParameter.openConversationId.invalid", "conversation not found")
        error, param = wire.check_msg_param(body.get("msgKey"), body.get("msgParam"))
        if error:
            return _api_error(400, error, "msgKey or msgParam invalid")
        if state.throttle(group.conversation_id):
            # The OpenAPI throttling code is unconfirmed (spec §3).
            return _api_error(429, "Throttling.Api", "send too fast, exceed 20 times per minute")
        key = uuid.uuid4().hex
        state.record(conversation_id=group.conversation_id, to_staff_ids=[], raw=body, via="openapi",
                     **wire.record_from_openapi(body["msgKey"], param))
        return {"processQueryKey": key}

    @app.post("/v1.0/robot/oToMessages/batchSend")
    async def users_send(request: Request):
        body, refused = await _robot_send_body(request)
        if refused:
            return refused
        user_ids = body.get("userIds")
        if not isinstance(user_ids, list) or not user_ids:
            return _api_error(400, "invalidParameter.userIds.empty", "userIds is required")
        if len(user_ids) > wire.MAX_USER_IDS:
            return _api_error(400, "invalidParameter.userIds.overMax", "too many userIds")
        error, param = wire.check_msg_param(body.get("msgKey"), body.get("msgParam"))
        if error:
            return _api_error(400, error, "msgKey or msgParam invalid")
        invalid, throttled = [], []
        for staff_id in user_ids:
            if state.person(staff_id) is None:
                invalid.append(staff_id)
                continue
            conversation_id = state.conversation_of_dm(staff_id)
            if state.throttle(conversation_id):
                throttled.append(staff_id)
                continue
            state.record(conversation_id=conversation_id, to_staff_ids=[staff_id], raw=body, via="openapi",
                         **wire.record_from_openapi(body["msgKey"], param))
        return {"processQueryKey": uuid.uuid4().hex, "invalidStaffIdList": invalid,
                "flowControlledStaffIdList": throttled}

    @app.post("/v1.0/robot/messageFiles/download")
    async def file_download(request: Request):
        refused = authenticated(request)
        if refused:
            return refused
        body = await _json(request)
        if not isinstance(body, dict) or not body.get("downloadCode"):
            return _api_error(400, "invalidParameter.downloadCode.empty", "downloadCode is required")
        refused = _robot_code_error(body)
        if refused:
            return refused
        return {"downloadUrl": f"{base_url(request)}/_sim/files/{body['downloadCode']}"}

    @app.get("/_sim/files/{code}")
    async def file_content(code: str):
        return Response(PNG, media_type="image/png")

    # --- interactive cards (spec §4.4, §5) ----------------------------------------------------------
    def _record_card(card: Card, raw: dict) -> None:
        params = card.params
        entry = state.record(conversation_id=card.conversation_id, to_staff_ids=list(card.to_staff_ids), raw=raw,
                             via="card", msgtype="card", title=params.get("title"),
                             text=params.get("markdown") or params.get("text") or params.get("content"),
                             card={"out_track_id": card.out_track_id})
        card.seq = entry["seq"]

    def _apply_card_update(card: Card, body: dict) -> None:
        options = body.get("cardUpdateOptions") or {}
        params = (body.get("cardData") or {}).get("cardParamMap")
        if isinstance(params, dict):
            card.params = {**card.params, **params} if options.get("updateCardDataByKey") else dict(params)
        private = body.get("privateData") or body.get("userPrivateData") or {}
        for staff_id, data in private.items() if isinstance(private, dict) else ():
            new = (data or {}).get("cardParamMap") or {}
            old = card.private.get(staff_id, {})
            card.private[staff_id] = {**old, **new} if options.get("updatePrivateDataByKey") else dict(new)

    def _space(body: dict) -> tuple[str | None, str | None, str | None, list[str]]:
        """(space type, space id, conversation id, recipients) from openSpaceId, or Nones."""
        space = str(body.get("openSpaceId") or "")
        prefix = "dtv1.card//"
        if not space.startswith(prefix) or "." not in space[len(prefix):]:
            return None, None, None, []
        space_type, space_id = space[len(prefix):].split(".", 1)
        if space_type == "IM_GROUP" and space_id in state.groups:
            at = (body.get("imGroupOpenDeliverModel") or {}).get("atUserIds") or {}
            return space_type, space_id, space_id, [s for s in at if s != "@ALL"]
        if space_type == "IM_ROBOT" and state.person(space_id):
            return space_type, space_id, state.conversation_of_dm(space_id), [space_id]
        return None, None, None, []

    def _card_params(body: dict) -> dict | None:
        params = (body.get("cardData") or {}).get("cardParamMap")
        if not isinstance(params, dict) or any(not isinstance(v, str) for v in params.values()):
            return None  # cardParamMap values are strings
        return params

    def _new_card(body: dict, params: dict) -> Card:
        return Card(out_track_id=body["outTrackId"], template_id=body["cardTemplateId"], params=dict(params),
                    private={}, space_type="", space_id="", conversation_id="", to_staff_ids=[],
                    callback_type=body.get("callbackType") or "STREAM", route_key=body.get("callbackRouteKey"))

    def _deliver_card(card: Card, body: dict) -> JSONResponse | None:
        space_type, space_id, conversation_id, to = _space(body)
        if space_type is None:
            return _api_error(400, "invalidParameter.openSpaceId.invalid", "openSpaceId invalid")
        if space_type == "IM_GROUP":
            refused = _robot_code_error(body.get("imGroupOpenDeliverModel") or {})
            if refused:
                return refused
        card.space_type, card.space_id, card.conversation_id, card.to_staff_ids = (
            space_type, space_id, conversation_id, to)
        _record_card(card, body)
        return None

    def _card_body_error(body: Any, *, need_template: bool = True) -> JSONResponse | None:
        if not isinstance(body, dict) or not body.get("outTrackId"):
            return _api_error(400, "invalidParameter.outTrackId.empty", "outTrackId is required")
        if need_template and not body.get("cardTemplateId"):
            return _api_error(400, "invalidParameter.cardTemplateId.empty", "cardTemplateId is required")
        if body.get("callbackType", "STREAM") not in ("STREAM", "HTTP"):
            return _api_error(400, "invalidParameter.callbackType.invalid", "callbackType invalid")
        return None

    def _checked_card(body: Any) -> tuple[dict | None, JSONResponse | None]:
        """A card-creating body's cardParamMap, or DingTalk's 400 for what is wrong with it."""
        refused = _card_body_error(body)
        if refused:
            return None, refused
        params = _card_params(body)
        if params is None:
            return None, _api_error(400, "invalidParameter.cardData.invalid", "cardParamMap values must be strings")
        return params, None

    @app.post("/v1.0/card/instances/createAndDeliver")
    async def card_create_and_deliver(request: Request):
        refused = authenticated(request)
        if refused:
            return refused
        body = await _json(request)
        params, refused = _checked_card(body)
        if refused:
            return refused
        if body["outTrackId"] in state.cards:
            return _api_error(400, "invalidParameter.outTrackId.duplicate", "outTrackId already used")
        card = _new_card(body, params)
        refused = _deliver_card(card, body)
        if refused:
            return refused
        state.cards[card.out_track_id] = card
        return {"success": True, "result": {"outTrackId": card.out_track_id, "deliverResults": [
            {"spaceType": card.space_type, "spaceId": card.space_id, "success": True, "errorMsg": ""}]}}

    @app.post("/v1.0/card/instances")
    async def card_create(request: Request):
        refused = authenticated(request)
        if refused:
            return refused
        body = await _json(request)
        params, refused = _checked_card(body)
        if refused:
            return refused
        state.cards.setdefault(body["outTrackId"], _new_card(body, params))
        return {"success": True, "result": body["outTrackId"]}

    @app.post("/v1.0/card/instances/deliver")
    async def card_deliver(request: Request):
        refused = authenticated(request)
        if refused:
            return refused
        body = await _json(request)
        if not isinstance(body, dict) or body.get("outTrackId") not in state.cards:
            return _api_error(400, "invalidParameter.outTrackId.invalid", "card instance not found")
        card = state.cards[body["outTrackId"]]
        refused = _deliver_card(card, body)
        if refused:
            return refused
        return {"success": True, "result": [{"spaceType": card.space_type, "spaceId": card.space_id,
                                             "success": True}]}

    @app.put("/v1.0/card/instances")
    async def card_update(request: Request):
        refused = authenticated(request)
        if refused:
            return refused
        body = await _json(request)
        if not isinstance(body, dict) or body.get("outTrackId") not in state.cards:
            return _api_error(400, "invalidParameter.outTrackId.invalid", "card instance not found")
        _apply_card_update(state.cards[body["outTrackId"]], body)
        return {"success": True, "result": True}

    @app.post("/v1.0/card/callbacks/register")
    async def card_route_register(request: Request):
        refused = authenticated(request)
        if refused:
            return refused
        body = await _json(request)
        if not isinstance(body, dict) or not body.get("callbackRouteKey") or not body.get("callbackUrl"):
            return _api_error(400, "invalidParameter.callbackUrl.empty", "callbackRouteKey and callbackUrl required")
        state.route_keys[body["callbackRouteKey"]] = body["callbackUrl"]
        return {"success": True, "result": {"callbackUrl": body["callbackUrl"]}}

    @app.post("/v1.0/im/v1.0/robot/interactiveCards/send")
    async def robot_card_send(request: Request):
        body, refused = await _robot_send_body(request)
        if refused:
            return refused
        if not body.get("cardBizId") or not body.get("cardTemplateId"):
            return _api_error(400, "invalidParameter.cardBizId.empty", "cardBizId and cardTemplateId required")
        if not isinstance(body.get("cardData"), str):
            return _api_error(400, "invalidParameter.cardData.invalid", "cardData must be a JSON string")
        try:
            card_data = json.loads(body["cardData"])
            receiver = json.loads(body["singleChatReceiver"]) if body.get("singleChatReceiver") else None
        except ValueError:
            return _api_error(400, "invalidParameter.cardData.invalid", "cardData is not JSON")
        if body.get("openConversationId") in state.groups:
            conversation_id, to = body["openConversationId"], []
        elif receiver and state.person(receiver.get("userId", "")):
            conversation_id, to = state.conversation_of_dm(receiver["userId"]), [receiver["userId"]]
        else:
            return _api_error(400, "invalidParameter.openConversationId.invalid", "no valid receiver")
        title, text = _standard_card_text(card_data)
        card = Card(out_track_id=body["cardBizId"], template_id=body["cardTemplateId"], params={"title": title,
                    "markdown": text}, private={}, space_type="IM_GROUP" if not to else "IM_ROBOT",
                    space_id=conversation_id, conversation_id=conversation_id, to_staff_ids=to,
                    callback_type="STREAM", route_key=None, is_robot_card=True)
        state.cards[card.out_track_id] = card
        _record_card(card, body)
        return {"processQueryKey": uuid.uuid4().hex}

    @app.put("/v1.0/im/robots/interactiveCards")
    async def robot_card_update(request: Request):
        refused = authenticated(request)
        if refused:
            return refused
        body = await _json(request)
        if not isinstance(body, dict) or body.get("cardBizId") not in state.cards:
            return _api_error(400, "invalidParameter.cardBizId.invalid", "card not found")
        try:
            card_data = json.loads(body.get("cardData") or "")
        except (ValueError, TypeError):
            return _api_error(400, "invalidParameter.cardData.invalid", "cardData must be a JSON string")
        title, text = _standard_card_text(card_data)
        state.cards[body["cardBizId"]].params.update({"title": title, "markdown": text})
        return {"success": True, "result": True}

    # --- Stream gateway (spec §4) -------------------------------------------------------------------
    @app.post("/v1.0/gateway/connections/open")
    async def connections_open(request: Request):
        body = await _json(request)
        ws_base = base_url(request).replace("http://", "ws://", 1).replace("https://", "wss://", 1)
        status, answer = gateway.open(body if isinstance(body, dict) else {}, ws_base)
        return JSONResponse(answer, status)

    @app.websocket("/connect")
    async def connect(ws: WebSocket):
        await gateway.serve(ws)

    # --- delivery to the robot ----------------------------------------------------------------------
    async def _post_signed(url: str, body: dict, sign_mode: str = "valid") -> tuple[Any, Any]:
        timestamp = int(time.time() * 1000)  # DingTalk signs with its (real) clock
        if sign_mode == "stale":
            timestamp -= 2 * 3600 * 1000
        secret = state.app_secret if sign_mode != "forged" else state.app_secret[::-1]
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if sign_mode != "none":
            headers.update(timestamp=str(timestamp), sign=wire.sign(secret, timestamp))
        try:
            r = await http().post(url, content=json.dumps(body, ensure_ascii=False).encode(), headers=headers)
        except httpx.TimeoutException:
            return "timeout", None
        except httpx.HTTPError:
            return "unreachable", None
        try:
            return r.status_code, r.json()
        except ValueError:
            return r.status_code, None

    @app.post("/_sim/chat")
    async def chat(req: ChatIn, request: Request):
        person = state.person(req.staff_id)
        if person is None and not req.external:
            return JSONResponse({"error": f"unknown staff_id {req.staff_id}"}, 400)
        nick = person.name if person else req.staff_id
        if req.conversation_id:
            group = state.groups.get(req.conversation_id)
            if group is None:
                return JSONResponse({"error": f"unknown group {req.conversation_id}"}, 400)
            if req.staff_id not in group.members:
                group.members.append(req.staff_id)  # joined the group
            conversation_id, is_group, title = group.conversation_id, True, group.title
        else:
            conversation_id, is_group, title = state.conversation_of_dm(req.staff_id), False, None
        now = state.clock.now_ms()
        body = app.state.sent_bodies.get(req.msg_id) if req.msg_id else None
        if body is None:
            msg_id = req.msg_id or wire.new_msg_id()
            session = Session(conversation_id, is_group, None if req.external else req.staff_id, msg_id,
                              now + wire.SESSION_TTL_MS)
            token = state.open_session(session)
            try:
                body = wire.robot_message_body(
                    robot_code=state.robot_code, corp_id=state.corp_id, robot_name=state.robot_name,
                    conversation_id=conversation_id, conversation_title=title, is_group=is_group,
                    staff_id=None if req.external else req.staff_id, sender_key=req.staff_id, sender_nick=nick,
                    sender_corp_id=OUTSIDE_CORP if req.external else state.corp_id, text=req.text,
                    msg_id=msg_id, now_ms=now,
                    session_webhook=f"{base_url(request)}/robot/sendBySession?session={token}",
                    msgtype=req.msgtype, at_bot=req.at_bot or not is_group, at_staff_ids=tuple(req.at_staff_ids),
                    keep_mention=req.keep_mention,
                )
            except ValueError as exc:
                return JSONResponse({"error": str(exc)}, 400)
            app.state.sent_bodies[msg_id] = body
            state.record(conversation_id=conversation_id, to_staff_ids=list(req.at_staff_ids), msgtype=req.msgtype,
                         text=req.text, raw=body, via="user", from_staff_id=req.staff_id, from_nick=nick)
        msg_id = body["msgId"]
        if is_group and not req.at_bot:
            return {"msgId": msg_id, "status": "not_delivered", "conversation_id": conversation_id}
        if req.hold:
            return {"msgId": msg_id, "status": "held", "conversation_id": conversation_id}
        use_stream = req.via == "stream" or (req.via == "auto" and gateway.subscriber("CALLBACK", TOPIC_ROBOT))
        if use_stream:
            message_id = await gateway.deliver("CALLBACK", TOPIC_ROBOT, body)
            status = "stream" if message_id else "no_stream_client"
        else:
            loop = asyncio.get_running_loop()  # a monotonic clock (tests replace this module's time)
            posted = loop.time()
            status, _ = await _post_signed(app.state.bot_url, body, req.sign)
            # the callback's round trip as DingTalk sees it: from sending it to having the answer
            return {"msgId": msg_id, "status": status, "conversation_id": conversation_id,
                    "callback_ms": round((loop.time() - posted) * 1000, 1)}
        return {"msgId": msg_id, "status": status, "conversation_id": conversation_id}

    @app.post("/_sim/card_action")
    async def card_action(req: CardActionIn):
        card = state.cards.get(req.out_track_id)
        if card is None:
            return JSONResponse({"error": "unknown out_track_id"}, 404)
        if card.space_type == "IM_GROUP":
            space_type, space_id = "IM_GROUP", card.conversation_id
        else:
            space_type, space_id = "IM_ROBOT", state.conversation_of_dm(req.staff_id)
        data = wire.card_callback_data(out_track_id=card.out_track_id, corp_id=state.corp_id,
                                       staff_id=req.staff_id, space_type=space_type, space_id=space_id,
                                       params=dict(req.params))
        card.presses.append({"staff_id": req.staff_id, "params": dict(req.params),
                             "time_ms": state.clock.now_ms()})

        async def apply(ack_data: dict) -> None:
            response = ack_data.get("response")
            if isinstance(response, dict):
                _apply_card_update(card, response)

        if card.callback_type == "STREAM":
            message_id = await gateway.deliver("CALLBACK", TOPIC_CARD, data, on_ack=apply)
            return {"status": "stream" if message_id else "no_stream_client", "callback": data}
        # callbackType HTTP: the URL registered for the route key, else the robot's /card route.
        url = state.route_keys.get(card.route_key or "") or app.state.bot_url.rsplit("/", 1)[0] + "/card"
        status, answer = await _post_signed(url, data)
        if isinstance(answer, dict):
            await apply({"response": answer})
        return {"status": status, "callback": data}

    # --- admin / test API -------------------------------------------------------------------------
    @app.get("/_sim/messages")
    async def sim_messages(conversation_id: str | None = None, staff_id: str | None = None, after: int = 0):
        return {"messages": state.messages(conversation_id=conversation_id, staff_id=staff_id, after=after)}

    @app.get("/_sim/timeline")
    async def sim_timeline(conversation_id: str | None = None, staff_id: str | None = None, after: int = 0):
        return {"messages": state.messages(conversation_id=conversation_id, staff_id=staff_id, after=after,
                                           include_user=True),
                "cards": state.card_views()}

    @app.get("/_sim/cards")
    async def sim_cards():
        return {"cards": list(state.card_views().values())}

    @app.get("/_sim/directory")
    async def sim_directory():
        def roles(p: Person) -> list[str]:
            return list(p.roles)

        return {
            "robot": {"name": state.robot_name, "robot_code": state.robot_code},
            "groups": [{"conversation_id": g.conversation_id, "title": g.title, "members": g.members}
                       for g in state.groups.values()],
            "people": [{"staff_id": p.staff_id, "name": p.name, "uid": p.uid, "roles": roles(p),
                        "is_manager": "managers" in p.roles, "dm_conversation_id": p.dm_conversation_id}
                       for p in state.people.values()],
            "managers_group": managers,
        }

    @app.post("/_sim/groups")
    async def sim_add_group(req: GroupIn):
        """Someone made a new group and added the robot (as in DingTalk, where groups are made by
        people): from now on the group exists for chat, membership checks and group sends."""
        if not req.conversation_id.startswith("cid") or not req.members:
            return JSONResponse({"error": "conversation_id must start with 'cid' and members must not be empty"}, 400)
        unknown = [m for m in req.members if state.person(m) is None]
        if unknown:
            return JSONResponse({"error": f"unknown staff_id {unknown[0]}"}, 400)
        if req.conversation_id in state.groups:
            return JSONResponse({"error": f"group {req.conversation_id} exists"}, 409)
        state.groups[req.conversation_id] = Group(req.conversation_id, req.title, list(req.members))
        return {"conversation_id": req.conversation_id, "members": list(req.members)}

    @app.post("/_sim/reset")
    async def sim_reset():
        state.reset()
        gateway.forget_pending()
        gateway.reset_tracking()
        app.state.sent_bodies.clear()
        app.state.oa.reset()
        app.state.oa.pusher.reset()
        return {"ok": True}

    @app.post("/_sim/clock")
    async def sim_clock(req: ClockIn):
        return {"now_ms": state.clock.advance(req.advance_s), "offset_ms": state.clock.offset_ms}

    @app.get("/_sim/requests")
    async def sim_requests():
        return {"requests": list(state.requests)}

    @app.post("/_sim/faults")
    async def sim_faults(request: Request):
        body = await _json(request)
        rules = (body or {}).get("rules") if isinstance(body, dict) else None
        if not isinstance(rules, list):
            return JSONResponse({"error": "rules must be a list"}, 400)
        state.faults = [dict(r) for r in rules if isinstance(r, dict)]
        return {"rules": state.faults}

    @app.get("/_sim/stream")
    async def sim_stream():
        return gateway.status()

    @app.post("/_sim/stream/{what}")
    async def sim_stream_action(what: str):
        if what not in ("ping", "disconnect", "drop"):
            return JSONResponse({"error": "ping | disconnect | drop"}, 404)
        done = []
        for conn in list(gateway.connections.values()):
            if what == "ping":
                done.append(await gateway.ping(conn))
            elif what == "disconnect":
                await gateway.disconnect(conn)
                done.append(conn.id)
            else:
                await gateway.drop(conn)
                done.append(conn.id)
        return {"done": done}

    # --- pages ----------------------------------------------------------------------------------------
    @app.get("/")
    async def chat_page():
        return FileResponse(STATIC / "index.html")

    @app.get("/phone")
    async def phone_page():
        return FileResponse(STATIC / "phone.html")

    app.mount("/_sim/static", StaticFiles(directory=STATIC), name="static")

    return app


def _standard_card_text(card_data: Any) -> tuple[str, str]:
    """Title and text of a robot "StandardCard" (the SDK's interactive_card.py layout)."""
    if not isinstance(card_data, dict):
        return "", ""
    header = card_data.get("header") or {}
    title = ((header.get("title") or {}).get("text")) or ""
    texts = [c.get("text") for c in card_data.get("contents") or [] if isinstance(c, dict) and c.get("text")]
    return str(title), "\n\n".join(str(t) for t in texts)
