"""Group membership as DingTalk's OpenAPI answers it (im_1.0 CheckUserIsGroupMember).

``POST /v1.0/im/innerGroups/members/check`` with the app's ``x-acs-dingtalk-access-token`` and
``{"openConversationId", "userId"}`` answers ``{"result": true|false}`` (field names from the
official SDK, alibabacloud_dingtalk.im_1_0 CheckUserIsGroupMemberRequest / ResponseBody). The
members are the simulator's live groups (someone who joins a group through ``/_sim/chat`` is a
member from then on). A missing parameter or a conversation that is not one of the robot's groups
is a 400 ``invalidParameter.*`` like the other OpenAPI routes; the exact codes are unconfirmed.
"""

from __future__ import annotations

import json

from fastapi import FastAPI, Request


def register(app: FastAPI, state, authenticated, api_error) -> None:
    @app.post("/v1.0/im/innerGroups/members/check")
    async def check_user_is_group_member(request: Request):
        refused = authenticated(request)
        if refused:
            return refused
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return api_error(400, "invalidParameter.body.invalid", "body must be JSON")
        conversation_id, user_id = body.get("openConversationId"), body.get("userId")
        if not conversation_id or not isinstance(conversation_id, str):
            return api_error(400, "invalidParameter.openConversationId.empty", "openConversationId is required")
        if not user_id or not isinstance(user_id, str):
            return api_error(400, "invalidParameter.userId.empty", "userId is required")
        group = state.groups.get(conversation_id)
        if group is None:
            return api_error(400, "invalidParameter.openConversationId.invalid", "conversation not found")
        return {"result": user_id in group.members}
