"""Forged card presses on the interactive-card route (callbackType HTTP).

A real change request waits for the manager (pmc0001 asks for MO000124 -> 900 pcs). Then: presses
without or with forged signatures; correctly signed presses by someone outside the space, from
another corp, in a 1:1 space owned by someone else, with injected action names or oversized
params; and correctly signed presses by a member who is no manager. Accepted: for the first kinds
anything but the refusal due (401 / 403 / 400), a turn, a reply; for every press, the request
being decided or K/3 changing.
"""

from __future__ import annotations

import re
import time
import uuid

from devtools.security.checks import digest, k3_snapshot, trail_state
from devtools.security.context import Attempt, Context, Result, settle
from devtools.security.wire import card_message_id, card_press, sign

NAME, TITLE = "cards", "Forged card presses"
PENDING_ORDER = "MO000124"


def pending_request(ctx: Context) -> str:
    """A change request that needs a manager, asked for through the simulator; its ref."""
    start = max((m["seq"] for m in ctx.sim_messages()), default=0)
    ctx.chat("pmc0001", f"{PENDING_ORDER} 数量改成 900")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for m in ctx.sim_messages(after=start):
            found = re.search(r"CR-\d{6}", (m.get("text") or "") + (m.get("title") or ""))
            if found:
                return found.group(0)
        time.sleep(0.2)
    raise RuntimeError("no change request came back: the cards class needs one pending")


def own_dm(ctx: Context) -> str:
    """A 1:1 conversation pmc0001 has spoken in: its space belongs to pmc0001 from then on."""
    conversation = "cidDM" + uuid.uuid4().hex[:10]
    body = ctx.body("pmc0001", "你好", conversation_id=conversation, hook_path="/cards-dm/", is_group=False,
                    title=None)
    status, _ = ctx.post_signed(ctx.webhook_url, body)
    if status != 200:
        raise RuntimeError(f"the 1:1 message was not accepted ({status})")
    return conversation


def run(ctx: Context) -> Result:
    corp = ctx.settings.dingtalk_corp_id
    ref = pending_request(ctx)
    dm = own_dm(ctx)
    k3_before, decided_before = digest(k3_snapshot(ctx.settings)), trail_state(ctx.settings).decisions
    params = {"order_no": PENDING_ORDER, "change_id": ref, "approval_id": ref}
    secret = ctx.settings.dingtalk_app_secret.get_secret_value()

    def press(staff="manager0001", space="cidPMC0001", decision="approve", group=True, extra=None, **changes):
        body = card_press(corp_id=corp, out_track_id=f"approval-{ref}-{uuid.uuid4().hex[:8]}", staff_id=staff,
                          space_id=space, decision=decision, params={**params, **(extra or {})}, is_group=group)
        body.update(changes)
        return body

    now = int(time.time() * 1000)
    unsigned = [
        ("no signature", press(), {}),
        ("forged signature", press(), {"timestamp": str(now), "sign": sign("guess-0123456789", now)}),
        ("stale signature", press(), {"timestamp": str(now - 7_200_000), "sign": sign(secret, now - 7_200_000)}),
    ]
    refused_403 = [
        ("outside the space", press(staff="prod0001")),
        ("outside the space (guest)", press(staff="guest0001", decision="reject")),
        ("not our group", press(space="cidELSEWHERE0001")),
        ("another corp", press(corpId="dingothercorp0001")),
        ("someone else's 1:1", press(space=dm, group=False)),
    ]
    refused_400 = [
        ("action with an intent payload", press(decision='approve{"order_no":"P20250401"}')),
        ("action with a slash", press(decision="/approve")),
        ("action with a newline", press(decision="approve\n/deny")),
        ("action path", press(decision="../approve")),
        ("too many params", press(extra={f"p{i}": "x" for i in range(30)})),
        ("too long a param", press(extra={"note": "x" * 1000})),
        ("content not JSON", {**press(), "content": "{cardPrivateData"}),
        ("no content", {**press(), "content": ""}),
    ]
    members = [  # signed, a member of the group: the channel lets it through, the core must refuse
        ("member, not a manager: approve", press(staff="pmc0002")),
        ("member, not a manager: reject", press(staff="pmc0002", decision="reject")),
        ("the requester: approve", press(staff="pmc0001")),
    ]
    attempts: list[Attempt] = []
    n = 0
    while len(attempts) < ctx.attempts:
        for label, body, headers in unsigned:
            body = {**body, "outTrackId": f"approval-{ref}-{n}-{uuid.uuid4().hex[:6]}"}
            status, _ = ctx.post_signed(ctx.card_url, body, headers={"Content-Type": "application/json", **headers})
            attempts.append(Attempt(label, status, card_message_id(body), accepted=status != 401))
        for label, body in refused_403:
            body = {**body, "outTrackId": f"approval-{ref}-{n}-{uuid.uuid4().hex[:6]}"}
            status, _ = ctx.post_signed(ctx.card_url, body)
            # the corp is checked before the acknowledgement (403); membership after it (200, no turn:
            # settle counts a turn or a reply as accepted)
            refused = (403,) if label == "another corp" else (200, 403)
            attempts.append(Attempt(label, status, card_message_id(body), accepted=status not in refused))
        for label, body in refused_400:
            status, _ = ctx.post_signed(ctx.card_url, {**body, "outTrackId": f"approval-{ref}-{n}-x"})
            attempts.append(Attempt(label, status, None, accepted=status != 400))
        n += 1
    for i in range(max(9, ctx.attempts // 20)):  # real turns: a few, each answered before the next
        label, body = members[i % len(members)]
        body = {**body, "outTrackId": f"approval-{ref}-member-{i}"}
        mark = max((m["seq"] for m in ctx.sim_messages()), default=0)
        status, _ = ctx.post_signed(ctx.card_url, body)
        wait_for_answer(ctx, mark)
        decided = trail_state(ctx.settings).decisions != decided_before
        attempts.append(Attempt(label, status, None, accepted=decided or not isinstance(status, int) or status >= 300,
                                outcome=f"{status} (turn ran, refused by the core)" if status == 200 else None))
    result = settle(ctx, Result(NAME, TITLE), attempts)
    if digest(k3_snapshot(ctx.settings)) != k3_before or trail_state(ctx.settings).decisions != decided_before:
        result.accepted += 1
        result.accepted_examples.append("the pending request was decided or K/3 changed")
    result.note = (f"change request {ref} for {PENDING_ORDER} pending throughout; the members' presses "
                   "were real turns, refused by the core")
    return result


def wait_for_answer(ctx: Context, after_seq: int, timeout_s: float = 45.0) -> None:
    """Until the bot has answered in the PMC group (a press has no sessionWebhook: OpenAPI)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ctx.sim_messages(conversation_id="cidPMC0001", after=after_seq):
            return
        time.sleep(0.1)
