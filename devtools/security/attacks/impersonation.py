"""Bodies naming someone who is not in that conversation, each with a fresh valid signature (what
whoever races a captured callback, or holds a leaked app secret, can send).

A manager or a made-up staff id in a group they are not in; a configured group passed off as a
1:1 chat; a group the sender is in passed off as a 1:1 chat; someone else's 1:1 chat (pmc0001 is
heard in it first). The channel acknowledges before it asks DingTalk who is in the conversation
(issue 18), so the answer is 200 and nothing follows. Accepted: an answer other than that 200 or a
403, a turn, a reply to the attacker's webhook.
"""

from __future__ import annotations

import uuid

from devtools.security.context import Attempt, Context, Result, settle

NAME, TITLE = "impersonation", "Bodies naming someone outside the conversation"


def run(ctx: Context) -> Result:
    dm = "cidDM" + uuid.uuid4().hex[:12]
    owner = ctx.body("pmc0001", "你好", conversation_id=dm, hook_path="/impersonation-owner/", is_group=False,
                     title=None)
    status, _ = ctx.post_signed(ctx.webhook_url, owner)
    if status != 200:
        raise RuntimeError(f"the owner's own 1:1 message was not accepted ({status})")
    s = ctx.settings
    cases = [
        ("a production worker in the PMC group", "prod0001", "cidPMC0001", True),
        ("guest in the production group", "guest0001", "cidPROD0001", True),
        ("made-up staff id in the PMC group", "ceo0001", "cidPMC0001", True),
        ("directory-less member of no group", "stranger0001", "cidPROD0001", True),
        ("the manager in someone else's 1:1", "manager0001", dm, False),
        ("a planner in someone else's 1:1", "pmc0002", dm, False),
        ("configured group as a 1:1 (PMC)", "manager0001", s.dingtalk_pmc_group, False),
        ("configured group as a 1:1 (production)", "manager0001", s.dingtalk_production_group, False),
        ("the owner's 1:1 as a group", "pmc0001", dm, True),
    ]
    attempts: list[Attempt] = []
    n = 0
    while len(attempts) < ctx.attempts:
        for label, staff, conversation, is_group in cases:
            hook = f"/impersonation/{n}/"
            body = ctx.body(staff, "批准 MO000124" if n % 2 else "进度 P20250401", conversation_id=conversation,
                            hook_path=hook, is_group=is_group, title="群" if is_group else None)
            status, _ = ctx.post_signed(ctx.webhook_url, body)
            attempts.append(Attempt(label, status, body["msgId"], hook, accepted=status not in (200, 403)))
            n += 1
    result = settle(ctx, Result(NAME, TITLE), attempts)
    result.note = f"{len(cases)} kinds; membership answered by DingTalk's OpenAPI (the simulator), cached"
    return result
