"""Disallowed sessionWebhook origins (server-side request forgery through the reply path).

Correctly signed callbacks from a member whose sessionWebhook points at a server of the attacker's:
another name or spelling of 127.0.0.1, another loopback address (127.0.0.2, [::1]), userinfo and
backslash tricks, other schemes, public hosts. Each must be a 400 before anything runs, and none
of the attacker's servers may get a request. Then allowed webhooks that answer with a redirect to
127.0.0.2: the bot may post to the allowed URL but must not follow.
"""

from __future__ import annotations

import time

from devtools.security.context import Attempt, Context, Result, settle

NAME, TITLE = "origins", "Disallowed sessionWebhook origins"
REDIRECTS = 10


def urls(ctx: Context, path: str) -> list[tuple[str, str]]:
    one, two, six = (ctx.listeners[h] for h in ("127.0.0.1", "127.0.0.2", "::1"))
    p1, p2 = one.port, two.port
    return [
        ("localhost", f"http://localhost:{p1}{path}"),
        ("127.0.0.2", f"http://127.0.0.2:{p2}{path}"),
        ("[::1]", f"http://[::1]:{six.port}{path}"),
        ("decimal address", f"http://2130706433:{p1}{path}"),
        ("short address", f"http://127.1:{p1}{path}"),
        ("hex address", f"http://0x7f000001:{p1}{path}"),
        ("octal address", f"http://0177.0.0.1:{p1}{path}"),
        ("0.0.0.0", f"http://0.0.0.0:{p1}{path}"),
        ("trailing dot", f"http://127.0.0.1.:{p1}{path}"),
        ("userinfo", f"http://127.0.0.1:{p1}@127.0.0.2:{p2}{path}"),
        ("backslash", f"http://127.0.0.1:{p1}\\@127.0.0.2:{p2}{path}"),
        ("fragment", f"http://127.0.0.2:{p2}{path}#@127.0.0.1:{p1}"),
        ("https to 127.0.0.1", f"https://127.0.0.1:{p1}{path}"),
        ("ftp", f"ftp://127.0.0.1:{p1}{path}"),
        ("file", "file:///etc/passwd"),
        ("gopher", f"gopher://127.0.0.1:{p1}/_POST"),
        ("leading space", f" http://127.0.0.1:{p1}{path}"),
        ("tab inside", f"http://127.0.0.1:{p1}\t{path}"),
        ("full-width dots", f"http://127。0。0。1:{p1}{path}"),
        ("IPv4-mapped IPv6", f"http://[::ffff:127.0.0.1]:{p1}{path}"),
        ("DingTalk look-alike", f"https://oapi.dingtalk.com.127.0.0.2.nip.io{path}"),
        ("DingTalk over http", "http://oapi.dingtalk.com/robot/sendBySession?session=x"),
        ("DingTalk in the demo", "https://oapi.dingtalk.com/robot/sendBySession?session=x"),
        ("public host", f"http://example.com{path}"),
        ("not a URL", "sendBySession?session=x"),
    ]


def run(ctx: Context) -> Result:
    attempts: list[Attempt] = []
    n = 0
    while len(attempts) < ctx.attempts:
        for label, url in urls(ctx, f"/origins/{n}/"):
            body = ctx.body("pmc0001", "进度 P20250401", hook_path="/unused/")
            body["sessionWebhook"] = url
            status, _ = ctx.post_signed(ctx.webhook_url, body)
            attempts.append(Attempt(label, status, body["msgId"], f"/origins/{n}/", accepted=status != 400))
        n += 1
    # redirects: an allowed URL that sends the bot elsewhere (these are real turns)
    target = ctx.listeners["127.0.0.2"]
    ctx.hook.redirect_to = target.origin
    redirected: list[tuple[Attempt, str]] = []
    try:
        for i in range(REDIRECTS):
            path = f"/redirect/origins-r{i}/"
            body = ctx.body("pmc0002", "你好", hook_path=path)
            status, _ = ctx.post_signed(ctx.webhook_url, body)
            ctx.wait_replies(path)  # the bot's post to the allowed URL, answered with the 307
            redirected.append((Attempt("allowed URL answering 307 to 127.0.0.2", status, None, None,
                                       accepted=status != 200, outcome=f"{status} (turn ran)"), f"/origins-r{i}/"))
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline:  # a followed redirect would land within this
            time.sleep(0.1)
    finally:
        ctx.hook.redirect_to = None
    for attempt, followed_path in redirected:
        if target.hits_for(followed_path):
            attempt.accepted, attempt.label = True, attempt.label + " (followed)"
        attempts.append(attempt)
    result = settle(ctx, Result(NAME, TITLE), attempts)
    result.note = f"{len(urls(ctx, '/'))} kinds of URL; {REDIRECTS} allowed webhooks answering with a redirect"
    return result
