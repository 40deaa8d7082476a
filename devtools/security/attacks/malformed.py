"""Oversized and malformed bodies, each correctly signed (so only the body can be at fault).

Not JSON, not UTF-8, not an object, nested too deep, lone surrogates; fields of the wrong type,
missing or beyond their bounds; bodies beyond the size limit, announced or streamed; another
robot or corp; and text too long to read or a picture (answered with a sentence, never read).
Accepted: a 2xx where a refusal was due, or any turn that ran.
"""

from __future__ import annotations

import json

from devtools.security.context import Attempt, Context, Result, settle

NAME, TITLE = "malformed", "Oversized and malformed bodies"
REFUSE, ANSWER = "refuse", "answer"  # a 4xx is due / a 200 with a catalog sentence and no turn


def cases(ctx: Context, n: int) -> list[tuple[str, str, object]]:
    """(label, expectation, body: dict | bytes)."""
    base = ctx.body("pmc0001", "进度 P20250401", hook_path=f"/malformed/{n}/")
    # answered cases reply elsewhere: a reply to /malformed/ means a refused body was processed
    answered = ctx.body("pmc0001", "进度 P20250401", hook_path=f"/malformed-answer/{n}/")
    limit = ctx.settings.dingtalk_max_body_bytes

    def with_(**changes) -> dict:  # each case its own msgId (unless the msgId is what is wrong)
        return {**base, "msgId": f"{base['msgId']}-{next(iter(changes))}", **changes}

    def without(key: str) -> dict:
        return {k: v for k, v in base.items() if k != key}

    return [
        ("not JSON", REFUSE, b"{msgtype: text"), ("empty body", REFUSE, b""),
        ("invalid UTF-8", REFUSE, b'{"msgtype": "\xff\xfe"}'), ("a JSON list", REFUSE, b"[1, 2, 3]"),
        ("a JSON string", REFUSE, b'"text"'), ("JSON null", REFUSE, b"null"),
        ("nested 50 000 deep", REFUSE, b"[" * 50_000 + b"]" * 50_000),
        ("lone surrogate", REFUSE, json.dumps({**base, "senderNick": "\ud800"}).encode()),
        ("conversationType a number", REFUSE, with_(conversationType=2)),
        ("conversationType 3", REFUSE, with_(conversationType="3")),
        ("msgId a list", REFUSE, with_(msgId=["a"])),
        ("text.content a dict", REFUSE, with_(text={"content": {"x": 1}})),
        ("no msgtype", REFUSE, without("msgtype")), ("no msgId", REFUSE, without("msgId")),
        ("no conversationId", REFUSE, without("conversationId")),
        ("sessionWebhook a dict", REFUSE, with_(sessionWebhook={"url": "x"})),
        ("sessionWebhookExpiredTime not a number", REFUSE, with_(sessionWebhookExpiredTime="later")),
        ("msgId of 10 000 chars", REFUSE, with_(msgId="m" * 10_000)),
        ("conversationId of 1 000 chars", REFUSE, with_(conversationId="c" * 1_000)),
        ("senderNick of 100 000 chars", REFUSE, with_(senderNick="昵" * 100_000)),
        ("conversationTitle of 10 000 chars", REFUSE, with_(conversationTitle="群" * 10_000)),
        ("5 000 atUsers", REFUSE, with_(atUsers=[{"dingtalkId": f"x{i}"} for i in range(5_000)])),
        ("another robot", REFUSE, with_(robotCode="dingotherrobot0001")),
        ("another corp", REFUSE, with_(chatbotCorpId="dingothercorp0001")),
        ("body beyond the limit", REFUSE, with_(text={"content": " " + "料" * (limit // 3 + 10)})),
        ("text of 20 000 chars", ANSWER, {**answered, "msgId": f"{base['msgId']}-long",
                                          "text": {"content": " 进度 " + "五" * 20_000}}),
        ("a picture", ANSWER, {**answered, "msgId": f"{base['msgId']}-picture", "msgtype": "picture",
                               "content": {"downloadCode": "d"}, "text": None}),
    ]


def run(ctx: Context) -> Result:
    attempts: list[Attempt] = []
    n = 0
    while len(attempts) < ctx.attempts:
        for label, expect, body in cases(ctx, n):
            msg_id = body.get("msgId") if isinstance(body, dict) else None
            status, _ = ctx.post_signed(ctx.webhook_url, body)
            if expect == REFUSE:
                accepted, hook = not (isinstance(status, int) and 400 <= status < 500), f"/malformed/{n}/"
            else:
                accepted, hook = status != 200, None  # answered with a sentence: the reply is expected
            attempts.append(Attempt(label, status, msg_id if isinstance(msg_id, str) else None, hook,
                                    accepted=accepted, outcome=f"{expect}: {status}"))
        n += 1
    limit = ctx.settings.dingtalk_max_body_bytes
    chunk = b" " * 65_536

    def stream():  # beyond the limit, without a Content-Length: counted as it arrives
        yield b'{"msgtype": "text", "pad": "'
        for _ in range(limit // len(chunk) + 10):
            yield chunk
        yield b'"}'

    for _ in range(3):
        status, _ = ctx.send("POST", ctx.webhook_url, content=stream(), headers=ctx.signer.headers())
        attempts.append(Attempt("streamed beyond the limit", status, accepted=status != 413,
                                outcome=f"{REFUSE}: {status}"))
    result = settle(ctx, Result(NAME, TITLE), attempts)
    result.note = "every case signed afresh; 'answer' cases get one catalog sentence and no turn"
    return result
