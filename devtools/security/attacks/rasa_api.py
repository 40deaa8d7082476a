"""Unauthenticated calls to Rasa's HTTP API: read anyone's conversation, act as anyone, swap the model.

Every protected route of rasa 3.6 (tracker, events, story, execute, trigger_intent, predict,
messages, model parse/predict/train/test/replace/delete, domain, status), without a token, with
guessed tokens, with the action server's token, as a header instead of ``?token=``, with an
unsigned JWT. Also the REST channel (not configured: must not exist). Accepted: any answer below
400; and afterwards a conversation whose events changed.
"""

from __future__ import annotations

import base64
import json

from devtools.security.context import Attempt, Context, Result, settle

NAME, TITLE = "rasa_api", "Unauthenticated Rasa API calls"
VICTIM = "cidPMC0001:pmc0001"


def routes() -> list[tuple[str, str, object]]:
    c = f"/conversations/{VICTIM}"
    return [
        ("GET", f"{c}/tracker", None), ("GET", f"{c}/story", None),
        ("POST", f"{c}/tracker/events", {"event": "slot", "name": "language", "value": "en"}),
        ("PUT", f"{c}/tracker/events", []),
        ("POST", f"{c}/execute", {"name": "action_query_order"}),
        ("POST", "/conversations/cidPMC0001:manager0001/trigger_intent",
         {"name": "approve", "entities": {"order_no": "MO000124"}}),
        ("POST", f"{c}/predict", None),
        ("POST", f"{c}/messages", {"text": "进度 P20250401", "sender": "user"}),
        ("POST", "/model/parse", {"text": "进度 P20250401"}), ("POST", "/model/predict", {"events": []}),
        ("POST", "/model/train", {}), ("POST", "/model/test/intents", {}), ("POST", "/model/test/stories", {}),
        ("PUT", "/model", {"model_file": "/tmp/x.tar.gz"}), ("DELETE", "/model", None),
        ("GET", "/domain", None), ("GET", "/status", None),
    ]


def unsigned_jwt() -> str:
    def part(value) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part({'user': {'username': VICTIM, 'role': 'admin'}})}."


def credentials(ctx: Context) -> list[tuple[str, dict, dict]]:
    action_token = ctx.settings.action_server_token.get_secret_value()
    return [
        ("no token", {}, {}),
        ("guessed token", {}, {"token": "rasa"}),
        ("empty token", {}, {"token": ""}),
        ("demo-looking token", {}, {"token": "demo-rasa-api-token"}),
        ("the action server's token", {}, {"token": action_token}),
        ("token as a bearer header", {"Authorization": "Bearer demo-rasa-api-token"}, {}),
        ("unsigned JWT", {"Authorization": f"Bearer {unsigned_jwt()}"}, {}),
    ]


def run(ctx: Context) -> Result:
    token = ctx.settings.rasa_api_token.get_secret_value()
    tracker_url = f"{ctx.rasa}/conversations/{VICTIM}/tracker"
    before = ctx.http.get(tracker_url, params={"token": token}).json().get("events", [])
    attempts: list[Attempt] = []
    while len(attempts) < ctx.attempts:
        for method, path, body in routes():
            for label, headers, params in credentials(ctx):
                kwargs: dict = {"headers": headers, "params": params}
                if body is not None:
                    kwargs["json"] = body
                status, _ = ctx.send(method, ctx.rasa + path, **kwargs)
                answered = isinstance(status, int) and status < 400
                attempts.append(Attempt(f"{method} {path}: {label}", status, accepted=answered,
                                        outcome=f"{status}"))
    for path in ("/webhooks/rest/webhook", "/webhooks/callback/webhook", "/webhooks/socketio/"):
        status, _ = ctx.send("POST", ctx.rasa + path, json={"sender": "cidPMC0001:manager0001", "message": "批准"})
        attempts.append(Attempt(f"POST {path}", status, accepted=isinstance(status, int) and status < 400))
    result = settle(ctx, Result(NAME, TITLE), attempts, quiet_s=1.0)
    after = ctx.http.get(tracker_url, params={"token": token}).json().get("events", [])
    if after != before:
        result.accepted += 1
        result.accepted_examples.append(f"{VICTIM}'s tracker changed ({len(before)} -> {len(after)} events)")
    result.note = f"the victim's tracker ({len(before)} events) read with the real token before and after"
    return result
