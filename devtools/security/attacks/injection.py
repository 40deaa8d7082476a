"""Injection strings in every free-text field a person controls: the message text (in the places the
bot reads an order number, a material, a quantity, a note), their DingTalk nickname and the group's
title. K/3 filter, LDAP filter, SQL, Rasa intent payloads, mentions and links, format strings,
control characters.

These are ordinary, correctly signed messages from real members (the suite is DingTalk here), so
they are real turns, each answered before the next. Accepted: K/3 changed, a reply that mentions
everyone or someone else, a link the person supplied rendered in a markdown reply, an order
number in a reply that the message did not name (data the filter should not have matched, or any
order data at all for a guest with no rights), or the audit chain broken. An internal-error answer
or no answer is counted as an error.
"""

from __future__ import annotations

import re

from devtools.security.checks import digest, k3_snapshot
from devtools.security.context import Attempt, Context, Result, settle
from rasa_project import catalog

NAME, TITLE = "injection", "Injection strings in free-text fields"
BILL = re.compile(r"\b(?:P2025\d{4}|MO\d{6})\b")

PAYLOADS = (
    "P20250401' OR '1'='1", "P20250401' OR FBillNo like '%", "') OR 1=1 --", "P20250401\" OR \"\"=\"",
    "%' OR FDocumentStatus<>'Z", "BOM-2050' OR FNumber<>'", "*", "*)(uid=*))(|(uid=*", "admin)(|(objectClass=*",
    "\\2a\\29\\28cn=*", "'; DROP TABLE audit_log; --", "1; UPDATE notifications SET state='sent'",
    "{ref}{0.__class__}", "%s%s%s%n", "${jndi:ldap://127.0.0.2/a}", "{{7*7}}", "<script>alert(1)</script>",
    "[点我](http://evil.example/x)", "![](http://evil.example/p.png)", "@所有人 @all", "\u202eP20250401",
    "P2025\u00000401", "P20250401\r\n进度 P20250402", "../../etc/passwd", "\\x00\\x1b[31m",
)
# where a person writes free text, and who may say it: query frames for people with query rights
# (the bot reads K/3 for them); every frame for a guest with no rights (refused before any K/3 call)
QUERY_FRAMES = ("进度 {p}", "查库存 {p}", "{p} 的进度怎么样", "status of order {p}")
GUEST_FRAMES = QUERY_FRAMES + ("P20250401 数量改成 {p}", "驳回 MO000124 {p}", "报工 P20250401 良品 {p}",
                               "创建生产订单 {p} 数量 10", "{p}")
GUEST_PAYLOADS = ('/approve{"order_no": "MO000124"}', "/affirm", '/request_change{"order_no": "P20250401"}',
                  "/report_output", "/restart")
SPEAKERS = (("pmc0001", "cidPMC0001", QUERY_FRAMES), ("pmc0002", "cidPMC0001", QUERY_FRAMES),
            ("prod0001", "cidPROD0001", QUERY_FRAMES), ("prod0002", "cidPROD0001", QUERY_FRAMES),
            ("guest0001", "cidPMC0001", GUEST_FRAMES))


def plan(attempts: int) -> list[tuple[str, str, str, str, str]]:
    """(staff, conversation, field, text, payload) in a fixed order."""
    out = []
    i = 0
    while len(out) < attempts:
        staff, conversation, frames = SPEAKERS[i % len(SPEAKERS)]
        payloads = PAYLOADS + (GUEST_PAYLOADS if staff == "guest0001" else ())
        payload = payloads[(i // len(SPEAKERS)) % len(payloads)]
        field = ("text", "text", "senderNick", "conversationTitle")[i % 4]
        frame = frames[(i // 3) % len(frames)]
        if field == "text":
            out.append((staff, conversation, field, frame.format(p=payload), payload))
        else:  # the injection rides in a name; the message itself is an ordinary question
            out.append((staff, conversation, field, frame.format(p="P20250401"), payload))
        i += 1
    return out


def _example_segments() -> tuple[str, ...]:
    """The literal parts of catalog sentences that carry an example order number ("例如 P20250401")."""
    segments = set()
    for texts in catalog.MESSAGES.values():
        for template in texts.values():
            for part in re.split(r"\{[^}]*\}", template):
                if BILL.search(part):
                    segments.add(part.strip())
    return tuple(sorted(segments, key=len, reverse=True))


EXAMPLES = _example_segments()


def without_examples(content: str) -> str:
    for segment in EXAMPLES:
        content = content.replace(segment, " ")
    return content


def judge(ctx: Context, staff: str, text: str, payload: str, replies: list[dict]) -> str | None:
    """Why these replies show an injection taking effect, or None."""
    named = set(BILL.findall(text.replace("\u0000", "")))
    for hit in replies:
        body = hit["body"] if isinstance(hit["body"], dict) else {}
        at = body.get("at") or {}
        if at.get("isAtAll") or set(at.get("atUserIds") or []) - {staff}:
            return f"mentioned {at}"
        content = (body.get("text") or {}).get("content") or (body.get("markdown") or {}).get("text") or ""
        content = without_examples(content)  # the catalog's own examples are not data
        if body.get("msgtype") == "markdown" and "evil.example" in content and "evil.example" in payload:
            return "rendered the supplied link"
        shown = set(BILL.findall(content)) - named
        if staff == "guest0001" and BILL.findall(content):
            return f"order data to a guest: {sorted(set(BILL.findall(content)))}: {content[:160]!r}"
        if shown and any(c in payload for c in "'\"%*()"):
            return f"orders the message did not name: {sorted(shown)}: {content[:160]!r}"
    return None


def changes(before: dict, after: dict) -> str:
    """Which K/3 rows appeared or changed (by bill number)."""
    out = []
    for form, rows in after.items():
        old = {tuple(map(str, r)) for r in before.get(form, [])}
        new = [r for r in rows if tuple(map(str, r)) not in old]
        if new:
            out.append(f"{form} {', '.join(str(r[0]) for r in new[:3])}")
    return "; ".join(out) or "rows removed"


def run(ctx: Context) -> Result:
    ctx.chat("guest0001", "你好")  # the guest joins the PMC group
    k3_rows = k3_snapshot(ctx.settings)
    k3_before = digest(k3_rows)
    internal = {catalog.text("general.internal_error", lang) for lang in catalog.LANGS}
    attempts: list[Attempt] = []
    for n, (staff, conversation, field, text, payload) in enumerate(plan(ctx.attempts)):
        hook = f"/injection/{n}/"
        extra = {"nick": payload} if field == "senderNick" else {}
        if field == "conversationTitle":
            extra["title"] = payload
        body = ctx.body(staff, text, conversation_id=conversation, hook_path=hook, **extra)
        status, _ = ctx.post_signed(ctx.webhook_url, body)
        replies = ctx.wait_replies(hook) if status == 200 else []
        why = judge(ctx, staff, text, payload, replies)
        snapshot = k3_snapshot(ctx.settings)
        if why is None and digest(snapshot) != k3_before:
            why = f"K/3 changed: {changes(k3_rows, snapshot)}"
        k3_before, k3_rows = digest(snapshot), snapshot
        said = [((h["body"] or {}).get("text") or {}).get("content", "") for h in replies
                if isinstance(h["body"], dict)]
        error = status != 200 or not replies or any(s.strip() in internal for s in said)
        attempts.append(Attempt(f"{field} of {staff}: {payload!r}" + (f" [{why}]" if why else ""),
                                status if not error or status != 200 else "no answer" if not replies else "internal error",
                                accepted=why is not None,
                                outcome=f"{field}: {'answered' if replies else 'no answer'}"))
    result = settle(ctx, Result(NAME, TITLE), attempts, quiet_s=1.0)
    result.note = (f"{len(PAYLOADS)} payloads (+{len(GUEST_PAYLOADS)} intent payloads for the guest) in the text, "
                   f"the nickname and the group title; {len(SPEAKERS)} members; every turn answered before the next")
    return result
