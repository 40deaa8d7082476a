"""The invariants the reliability run checks (pure: observations in, verdicts out)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

from devtools.bench.harness import DraftRecord, K3Order

CONFIRMED_STATES = ("confirmed", "written")


def verdict(name: str, ok: bool, *, required: bool = True, **detail) -> dict:
    """One checked property; a ``required`` one that fails makes the run fail."""
    return {"name": name, "ok": bool(ok), "required": required, **detail}


def broken(verdicts: Iterable[dict]) -> list[dict]:
    return [v for v in verdicts if v["required"] and not v["ok"]]


def verdict_table(verdicts: Iterable[dict]) -> list[str]:
    """Markdown rows: one per verdict, with its detail."""
    lines = ["| invariant | result | detail |", "|---|---|---|"]
    for v in verdicts:
        mark = "ok" if v["ok"] else ("**BROKEN**" if v["required"] else "warning")
        detail = {k: x for k, x in v.items() if k not in ("name", "ok", "required")}
        lines.append(f"| {v['name']} | {mark} | `{detail}` |")
    return lines


def exactly_once(reply_counts: Mapping[str, int], expected: Mapping[str, int], kinds: Mapping[str, str]) -> dict:
    """Each message (by msg id) got exactly the replies one delivery gets (``expected`` per kind)."""
    wrong = {m: {"kind": kinds[m], "replies": n, "expected": expected[kinds[m]]}
             for m, n in reply_counts.items() if n != expected[kinds[m]]}
    doubled = sum(1 for w in wrong.values() if w["replies"] > w["expected"])
    missing = sum(1 for w in wrong.values() if w["replies"] < w["expected"])
    return verdict("each redelivered message processed exactly once", not wrong, messages=len(reply_counts),
                   doubled=doubled, missing=missing, examples=dict(list(wrong.items())[:5]))


def order_invariants(
    drafts: Iterable[DraftRecord],
    new_orders: Iterable[K3Order],
    told_bills: Iterable[str],
) -> list[dict]:
    """Confirmed drafts vs the orders K/3 gained during a scenario vs the bills users were told.

    ``drafts``: the scenario's drafts; ``new_orders``: K/3 orders that did not exist before it;
    ``told_bills``: bill numbers the bot named to users after a confirmation."""
    drafts, new_orders, told = list(drafts), list(new_orders), set(told_bills)
    confirmed = [d for d in drafts if d.state in CONFIRMED_STATES]
    by_key = Counter(o.request_key for o in new_orders)
    keys = {d.request_key for d in drafts}
    duplicated = {k: n for k, n in by_key.items() if k is not None and n > 1}
    orphans = [o.bill_no for o in new_orders if o.request_key not in keys]
    lost = [d.id for d in confirmed if by_key.get(d.request_key, 0) == 0]
    unresolved = [d.id for d in confirmed if d.state != "written"]
    bills = {o.bill_no for o in new_orders}
    told_missing = sorted(told - bills)
    not_audited = [o.bill_no for o in new_orders if o.document_status != "C"]
    return [
        verdict("no duplicate orders (one K/3 order per request key)", not duplicated, duplicated=duplicated),
        verdict("no order without a confirmed draft", not orphans, orphans=orphans),
        verdict("no lost confirmed order (every confirmed draft has its K/3 order)", not lost,
                confirmed_drafts=len(confirmed), lost_draft_ids=lost),
        verdict("every confirmed draft ends written with its bill number", not unresolved,
                unresolved_draft_ids=unresolved),
        verdict("orders created = confirmations (distinct bills told to users)", len(bills) == len(told) and not told_missing,
                orders_created=len(bills), confirmations=len(told), told_but_missing=told_missing),
        verdict("every created order is audited (Save+Submit+Audit completed)", not not_audited,
                not_audited=not_audited),
    ]


def all_delivered(delivered: Mapping[str, int], expected: Mapping[str, int]) -> dict:
    """Per conversation: every turn's reply was recorded by DingTalk, none twice."""
    wrong = {c: {"delivered": delivered.get(c, 0), "expected": n} for c, n in expected.items()
             if delivered.get(c, 0) != n}
    return verdict("every reply delivered exactly once despite webhook failures", not wrong,
                   conversations=len(expected), replies=sum(delivered.values()), wrong=wrong)


# -- the production topology under faults (prod_faults) -----------------------------------------------
REFUSAL_KEYS = ("dingtalk.stale_rerun", "dingtalk.out_of_order")


def _refusal_openings() -> tuple[str, ...]:
    from rasa_project import catalog

    # each sentence up to the quoted message ("你较早发的“", 'Your earlier message "', ...)
    return tuple(catalog.text(key, lang, text="\x00").split("\x00")[0] for key in REFUSAL_KEYS
                 for lang in ("zh", "id", "en"))


def refused_told(turns: Iterable[Mapping], bot_messages: Iterable[Mapping]) -> set[str]:
    """Accepted messages the channel deliberately did not run and said so in a reply to them: a
    turn a stopped process left, judged after the person's later messages had been handled
    (``dingtalk.stale_rerun``), or a message DingTalk delivered after a later one
    (``dingtalk.out_of_order``). Running them would act on a conversation that moved on; the
    person was told, with the message quoted. Not lost; counted apart."""
    openings = _refusal_openings()
    accepted = {t["msg_id"] for t in turns if t["accepted"]}
    return {m["in_reply_to"] for m in bot_messages if m.get("in_reply_to") in accepted
            and (m.get("text") or "").startswith(openings)}


def messages_once(turns: Iterable[Mapping], handled: Mapping[str, int], told: set[str] = frozenset()) -> list[dict]:
    """``turns``: every message sent (``msg_id``, ``accepted``: DingTalk's callback got a 200);
    ``handled``: msgId -> user events with that id in the tracker store (Rasa's record of a turn);
    ``told``: accepted messages refused with a notice (``refused_told``), not in the tracker store."""
    turns = list(turns)
    refused = [t["msg_id"] for t in turns if not t["accepted"]]
    missing = [t["msg_id"] for t in turns if t["accepted"] and handled.get(t["msg_id"], 0) == 0]
    lost = [m for m in missing if m not in told]
    not_run = [m for m in missing if m in told]
    twice = {m: n for m, n in handled.items() if n > 1}
    return [
        verdict("no message lost (every accepted message is in the tracker store)", not lost and not refused,
                messages=len(turns), accepted=len(turns) - len(refused), never_accepted=len(refused),
                lost=len(lost), lost_examples=lost[:5], not_run_and_told=len(not_run),
                not_run_examples=not_run[:5]),
        verdict("no message handled twice (one tracker user event per msgId)", not twice, doubled=len(twice),
                examples=dict(list(twice.items())[:5])),
    ]


def openapi_answers(log_lines: Iterable[str]) -> dict[str, str]:
    """msgId -> conversation, for messages whose reply went out through the OpenAPI (the channel's
    fallback when a sessionWebhook send failed), read from the channel's log: DingTalk's record of
    an OpenAPI send has no link to the message it answers; the channel's log lines carry the turn's
    request id on both the acceptance and the send."""
    accepted: dict[str, str] = {}
    sent: dict[str, str] = {}
    for line in log_lines:
        found = _ACCEPTED.search(line)
        if found:
            accepted[found["rid"]] = found["msg"]
            continue
        found = _OPENAPI_SENT.search(line)
        if found:
            sent[found["rid"]] = found["conv"]
    return {accepted[rid]: conv for rid, conv in sent.items() if rid in accepted}


_ACCEPTED = re.compile(r"dingtalk: message (?P<msg>\S+) accepted \[rid=(?P<rid>\w+)\]")
_OPENAPI_SENT = re.compile(r"dingtalk outbox: reply to (?P<conv>\S+) sent via openapi \[rid=(?P<rid>\w+)\]")


def answers(turns: Iterable[Mapping], bot: list[Mapping], via_openapi: Mapping[str, str] | None = None) -> Counter:
    """msgId -> how many replies DingTalk recorded for it (see ``replies_once``)."""
    answered = Counter(m.get("in_reply_to") for m in bot if m.get("in_reply_to"))
    for t in turns if via_openapi else ():
        conv = via_openapi.get(t["msg_id"])
        if conv and not answered.get(t["msg_id"]) and any(
                m.get("via") == "openapi" and m.get("conversation_id") == conv and m.get("time_ms", 0) >= t.get("sent_ms", 0)
                for m in bot):
            answered[t["msg_id"]] += 1
    return answered


def bills_told_via_openapi(turns: Iterable[Mapping], bot: Iterable[Mapping], via_openapi: Mapping[str, str],
                           bill_no: re.Pattern, kinds: tuple[str, ...] = ("create-confirm",)) -> set[str]:
    """Bill numbers named in the OpenAPI reply of a confirmation whose sessionWebhook send failed:
    the person read them, the load driver (which links replies by ``in_reply_to``) did not."""
    bot = sorted(bot, key=lambda m: m.get("seq", 0))
    told: set[str] = set()
    for t in turns:
        conv = via_openapi.get(t["msg_id"])
        if not conv or t.get("kind") not in kinds:
            continue
        for m in bot:
            if (m.get("via") == "openapi" and m.get("conversation_id") == conv
                    and m.get("time_ms", 0) >= t.get("sent_ms", 0)):
                found = bill_no.findall(m.get("text") or "")
                if found:
                    told.add(found[0])
                    break
    return told


def replies_once(turns: Iterable[Mapping], bot_messages: Iterable[Mapping],
                 via_openapi: Mapping[str, str] | None = None) -> list[dict]:
    """Per accepted message: at least one reply recorded by DingTalk (``in_reply_to``), or an
    OpenAPI send of its reply (``via_openapi``, from ``openapi_answers``) of which DingTalk recorded
    an OpenAPI message in that conversation after the message; and no bot message (reply or
    notice) recorded twice with the same text in the same conversation."""
    turns, bot = list(turns), list(bot_messages)
    answered = answers(turns, bot, via_openapi)
    lost = [t["msg_id"] for t in turns if t["accepted"] and answered.get(t["msg_id"], 0) == 0]
    same = Counter((m.get("conversation_id"), m.get("in_reply_to"), m.get("text") or "") for m in bot)
    twice = [{"conversation": c, "in_reply_to": r, "text": x[:120], "times": n} for (c, r, x), n in same.items() if n > 1]
    # a sessionWebhook send that timed out after DingTalk took it, then sent again through the
    # OpenAPI: the copy has no link, so look for the webhook reply's text among the OpenAPI sends
    openapi = [m for m in bot if m.get("via") == "openapi"]
    for t in turns if via_openapi else ():
        conv = via_openapi.get(t["msg_id"])
        hooked = {m.get("text") for m in bot if m.get("in_reply_to") == t["msg_id"]} if conv else set()
        for m in openapi:
            if m.get("conversation_id") == conv and m.get("text") in hooked and m.get("time_ms", 0) >= t.get("sent_ms", 0):
                twice.append({"conversation": conv, "in_reply_to": t["msg_id"], "text": (m.get("text") or "")[:120],
                              "times": 2, "via": "webhook + openapi"})
                break
    return [
        verdict("no reply lost (every accepted message answered)", not lost, replies=sum(answered.values()),
                notices=sum(1 for m in bot if not m.get("in_reply_to")), unanswered=len(lost),
                unanswered_examples=lost[:5]),
        verdict("no reply sent twice (no bot message recorded twice)", not twice, doubled=len(twice),
                examples=twice[:5]),
    ]


def order_kept(turns: Iterable[Mapping], bot_messages: Iterable[Mapping],
               handled_order: Mapping[str, list[str]], told: set[str] = frozenset()) -> dict:
    """Per conversation: replies (by DingTalk's record order) answer the messages in the order they
    were sent; and each tracker (``handled_order`` is keyed by Rasa's sender id, "<conversation>:
    <person>": one tracker per person in a chat) holds its messages in that order. Trackers of two
    people in one group are saved independently (Rasa sends a turn's reply before it saves the
    tracker, so the next person's turn may be saved first): their interleaving is not an order."""
    sent: dict[str, list[str]] = {}
    for t in turns:
        if t["accepted"]:
            sent.setdefault(t["conversation"], []).append(t["msg_id"])
    rank = {m: i for ms in sent.values() for i, m in enumerate(ms)}
    replies_out, tracker_out = [], []
    last: dict[str, int] = {}
    for m in sorted(bot_messages, key=lambda m: m["seq"]):
        r = m.get("in_reply_to")
        if r not in rank or r in told:  # a refusal notice comes after the later replies by its nature
            continue
        c = m["conversation_id"]
        if rank[r] < last.get(c, -1):
            replies_out.append({"conversation": c, "reply_to": r})
        last[c] = max(last.get(c, -1), rank[r])
    for tracker, stored in handled_order.items():
        if tracker.split(":", 1)[0] not in sent:
            continue
        held = [m for m in stored if m in rank]
        if held != sorted(held, key=rank.__getitem__) or len(set(held)) != len(held):
            tracker_out.append(tracker)
    return verdict("per-conversation order kept (replies and tracker)", not replies_out and not tracker_out,
                   conversations=len(sent), replies_out_of_order=len(replies_out), tracker_out_of_order=len(tracker_out),
                   examples=(replies_out[:3] + tracker_out[:3]))


def approvals_once(decided: Iterable[Mapping], rows: Iterable[Mapping], instances: Mapping[str, Mapping],
                   pending_left: Iterable[str]) -> dict:
    """``decided``: approvals the manager decided (``bill_no``, ``instance_id``, ``result``);
    ``rows``: our approval records (``bill_no``, ``instance_id``, ``state``); ``instances``: the OA
    simulator's view of each instance; ``pending_left``: bills of ours still waiting at the end."""
    decided, rows = list(decided), list(rows)
    per_bill = Counter(r["bill_no"] for r in rows)
    extra = {b: n for b, n in per_bill.items() if n > 1}
    state_of = {r["bill_no"]: r["state"] for r in rows}
    wanted = {"agree": "agreed", "refuse": "refused"}
    not_applied = {d["bill_no"]: state_of.get(d["bill_no"]) for d in decided
                   if state_of.get(d["bill_no"]) != wanted[d["result"]]}
    executions = {i: sum(1 for r in v.get("operationRecords", []) if r.get("type") == "EXECUTE_TASK_NORMAL")
                  for i, v in instances.items()}
    not_once = {i: n for i, n in executions.items() if n != 1}
    left = sorted(pending_left)
    return verdict("every approval decided once (one OA instance per order, one decision, applied once)",
                   not extra and not not_applied and not not_once and not left,
                   approvals=len(rows), decided=len(decided), instances_per_order_over_1=extra,
                   decided_not_applied=dict(list(not_applied.items())[:10]), decisions_not_once=dict(list(not_once.items())[:10]),
                   still_pending=left[:10])
