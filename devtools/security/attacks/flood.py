"""A flood from one person: heard at most at the rate limit, answered once, and the others still heard.

prod0001 sends a burst of correctly signed messages into the production group as fast as the
channel takes them; then prod0002 asks one question. Accepted: every turn that ran beyond what
the sender's token bucket allows (capacity + refill over the time taken), and prod0002's message
going unanswered (a starved conversation). Extra polite answers are errors.
"""

from __future__ import annotations

import time

from devtools.security.checks import turns_of
from devtools.security.context import Context, Result
from rasa_project import catalog

NAME, TITLE = "flood", "Flood from one sender (rate limits)"


def processed(ctx: Context, ids: list[str], slow_down: set[str]) -> set[int]:
    """Which flood messages were read: a turn audited for them, or a reply other than the polite one."""
    ran = turns_of(ctx.settings, ids)
    read = {i for i, m in enumerate(ids) if m in ran}
    for i in range(len(ids)):
        for hit in ctx.hook.hits_for(f"/flood/{i}/"):
            said = ((hit["body"] or {}).get("text") or {}).get("content", "") if isinstance(hit["body"], dict) else ""
            if said.strip() not in slow_down:
                read.add(i)
    return read


def run(ctx: Context) -> Result:
    result = Result(NAME, TITLE)
    s = ctx.settings
    slow_down = {catalog.text("dingtalk.slow_down", lang) for lang in catalog.LANGS}
    started = time.monotonic()
    ids = []
    for i in range(ctx.attempts):
        body = ctx.body("prod0001", "你好", conversation_id="cidPROD0001", hook_path=f"/flood/{i}/")
        status, _ = ctx.post_signed(ctx.webhook_url, body)
        ids.append(body["msgId"])
        result.outcomes[f"flood {status}"] += 1
        result.tried += 1
        if status != 200:  # a flood is acknowledged (DingTalk must not redeliver it), not refused
            result.errors += 1
    elapsed = time.monotonic() - started
    other = ctx.body("prod0002", "你好", conversation_id="cidPROD0001", hook_path="/flood/other/")
    ctx.post_signed(ctx.webhook_url, other)
    answered = ctx.wait_replies("/flood/other/")
    result.tried += 1
    result.outcomes[f"the other member: {'answered' if answered else 'not answered'}"] += 1
    if not answered:
        result.accepted += 1
        result.accepted_examples.append("prod0002 was not answered: the flood starved the conversation")
    # until the admitted turns are done: the count of read messages stops moving (bounded)
    read, still, deadline = processed(ctx, ids, slow_down), 0.0, time.monotonic() + 60
    while still < 3.0 and time.monotonic() < deadline:
        time.sleep(0.5)
        now = processed(ctx, ids, slow_down)
        still = still + 0.5 if now == read else 0.0
        read = now
    allowance = s.dingtalk_sender_burst + int(elapsed * s.dingtalk_sender_rate_per_minute / 60) + 1
    if len(read) > allowance:
        result.accepted += len(read) - allowance
        result.accepted_examples.append(f"{len(read)} messages read, the bucket allows {allowance}")
    told = [h for i in range(ctx.attempts) for h in ctx.hook.hits_for(f"/flood/{i}/")
            if isinstance(h["body"], dict) and ((h["body"].get("text") or {}).get("content") or "").strip() in slow_down]
    if len(told) != 1:
        result.errors += abs(len(told) - 1)
    result.outcomes["messages read"] = len(read)
    result.outcomes["polite answers"] = len(told)
    result.note = (f"{ctx.attempts} messages in {elapsed:.1f} s; {len(read)} read (bucket: "
                   f"{s.dingtalk_sender_burst} + {s.dingtalk_sender_rate_per_minute}/min, allows {allowance}), "
                   f"answered once ({len(told)} polite answer), the other member "
                   f"{'answered' if answered else 'NOT answered'}")
    return result
