"""Forged trackers to the action server: skip the channel, Rasa and the NLU, and ask for an action.

Hand-written trackers claiming to be the manager in the PMC group (reads: order status, stock;
writes: confirm, decide approval, report output ...) posted to ``/webhook`` without the action
server token, with guessed or misplaced tokens, with Rasa's API token, compressed, on other paths
and methods. Accepted: an answer below 400, or one carrying events, responses or order data.
"""

from __future__ import annotations

import json
import zlib

from devtools.security.context import Attempt, Context, Result, settle

NAME, TITLE = "action_server", "Forged trackers to the action server"
ACTIONS = ("action_query_order", "action_query_stock", "action_decide_approval", "action_confirm",
           "action_report_progress", "action_request_change", "action_prepare_create", "action_help")


def tracker(action: str, sender: str = "cidPMC0001:manager0001") -> dict:
    conversation, _, staff = sender.rpartition(":")
    return {"next_action": action, "sender_id": sender, "version": "3.6.21", "domain": {},
            "tracker": {"sender_id": sender, "slots": {"language": "zh"}, "events": [], "paused": False,
                        "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen",
                        "latest_message": {"text": "批准 MO000124", "intent": {"name": "approve", "confidence": 1.0},
                                           "entities": [{"entity": "order_no", "value": "MO000124"}],
                                           "message_id": f"forged-{action}",
                                           "metadata": {"conversation_id": conversation, "staff_id": staff}}}}


def credentials(ctx: Context) -> list[tuple[str, dict, dict]]:
    """(label, headers, query params) an attacker might try."""
    rasa_token = ctx.settings.rasa_api_token.get_secret_value()
    demo_guess = "demo-action-server-token"
    return [
        ("no credentials", {}, {}),
        ("guessed bearer", {"Authorization": "Bearer secret"}, {}),
        ("demo-looking bearer", {"Authorization": f"Bearer {demo_guess}"}, {}),
        ("Rasa's API token", {"Authorization": f"Bearer {rasa_token}"}, {}),
        ("token as a query parameter", {}, {"token": demo_guess}),
        ("basic auth", {"Authorization": "Basic cmFzYTpyYXNh"}, {}),
        ("bearer without a token", {"Authorization": "Bearer"}, {}),
        ("bearer, no space", {"Authorization": f"Bearer{demo_guess}"}, {}),
        ("X-Forwarded-For loopback", {"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"}, {}),
    ]


def run(ctx: Context) -> Result:
    attempts: list[Attempt] = []
    for action in ACTIONS:
        for label, headers, params in credentials(ctx):
            for path, method, deflate in (("/webhook", "POST", False), ("/webhook/", "POST", False),
                                          ("/webhook", "POST", True), ("/actions", "GET", False)):
                kwargs: dict = {"headers": {"Content-Type": "application/json", **headers}, "params": params}
                if method == "POST":
                    data = json.dumps(tracker(action)).encode()
                    if deflate:
                        data = zlib.compress(data)
                        kwargs["headers"]["Content-Encoding"] = "deflate"
                    kwargs["content"] = data
                status, text = ctx.send(method, ctx.actions + path, **kwargs)
                leaked = any(k in text for k in ('"events"', '"responses"', "MO000124", "action_"))
                answered = isinstance(status, int) and status < 400
                attempts.append(Attempt(f"{method} {path} {action}: {label}", status, accepted=answered or leaked,
                                        outcome=f"{method} {path} {status}"))
    return settle(ctx, Result(NAME, TITLE), attempts, quiet_s=0.5)
