"""The invariants the reliability run checks (pure: observations in, verdicts out)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from devtools.bench.harness import DraftRecord, K3Order

CONFIRMED_STATES = ("confirmed", "written")


def verdict(name: str, ok: bool, *, required: bool = True, **detail) -> dict:
    """One checked property; a ``required`` one that fails makes the run fail."""
    return {"name": name, "ok": bool(ok), "required": required, **detail}


def broken(verdicts: Iterable[dict]) -> list[dict]:
    return [v for v in verdicts if v["required"] and not v["ok"]]


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
