"""Replayed signatures with altered bodies (the attack of issue 20).

Five ordinary callbacks are delivered, and their ``timestamp``/``sign`` headers are then posted
again with other bodies: another msgId, ``senderStaffId: manager0001``, a sessionWebhook of the
attacker's, another text, another conversation, the card route. Accepted: a 2xx, a turn that ran
for a replayed msgId, or any request the bot sent to the attacker's webhook for it.
"""

from __future__ import annotations

import uuid

from devtools.security.context import Attempt, Context, Result, settle
from devtools.security.wire import card_message_id, card_press

NAME, TITLE = "replay", "Replayed signatures with altered bodies"
CAPTURES = 5


def variants(ctx: Context, original: dict, prefix: str) -> list[tuple[str, str, str, dict]]:
    """(route, label, webhook path, body) replays of one captured callback."""
    def hook(k: int) -> str:
        return f"{prefix}{k}/"

    def mine(k: int) -> str:
        return f"{ctx.hook.origin}{hook(k)}"

    def as_manager(k: int, **changes) -> dict:
        return {**ctx.body("manager0001", "进度 P20250401", hook_path=hook(k)), **changes}

    press = card_press(corp_id=ctx.settings.dingtalk_corp_id, out_track_id=f"approval-{uuid.uuid4().hex[:6]}",
                       staff_id="manager0001", space_id="cidPMC0001", decision="approve",
                       params={"order_no": "MO000124"})
    bodies = [
        ("webhook", "as the manager, own webhook", as_manager(0)),
        ("webhook", "new msgId only", {**original, "msgId": "msg" + uuid.uuid4().hex, "sessionWebhook": mine(1)}),
        ("webhook", "other text", {**original, "text": {"content": " 批准 MO000124"}, "sessionWebhook": mine(2)}),
        ("webhook", "other sender", {**original, "senderStaffId": "pmc0002", "sessionWebhook": mine(3)}),
        ("webhook", "other conversation", as_manager(4, conversationId="cidPROD0001")),
        ("webhook", "1:1 as the manager", as_manager(5, conversationType="1",
                                                     conversationId="cidDM" + uuid.uuid4().hex[:8])),
        ("webhook", "one extra field", {**original, "isAdmin": True, "sessionWebhook": mine(6)}),
        ("card", "as a card press", press),
    ]
    return [(route, label, hook(k), body) for k, (route, label, body) in enumerate(bodies)]


def run(ctx: Context) -> Result:
    captures = []
    for n in range(CAPTURES):
        headers = ctx.signer.headers()
        original = ctx.body("pmc0001", "你好", hook_path=f"/replay-original/{n}")
        status, _ = ctx.post_signed(ctx.webhook_url, original, headers=headers)
        if status != 200:
            raise RuntimeError(f"an ordinary callback was not accepted ({status}): nothing to capture")
        captures.append((headers, original))
    attempts: list[Attempt] = []
    rounds = 0
    while len(attempts) < ctx.attempts:
        headers, original = captures[rounds % CAPTURES]
        for route, label, hook, body in variants(ctx, original, f"/replay/{rounds}/"):
            url = ctx.card_url if route == "card" else ctx.webhook_url
            status, _ = ctx.post_signed(url, body, headers=headers)
            msg_id = card_message_id(body) if route == "card" else body.get("msgId")
            if msg_id == original["msgId"]:  # the original's own turn ran under it: judge by the webhook only
                msg_id = None
            attempts.append(Attempt(label, status, msg_id, hook,
                                    accepted=isinstance(status, int) and status < 300,
                                    outcome=f"{route} {status}"))
        rounds += 1
    result = settle(ctx, Result(NAME, TITLE), attempts)
    result.note = f"{CAPTURES} ordinary callbacks captured, each header pair replayed {rounds // CAPTURES}+ times"
    return result
