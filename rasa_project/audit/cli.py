"""`dingk3 audit verify [--anchors FILE] | anchor | show --order BILL_NO | tail`."""

from __future__ import annotations

import json
from pathlib import Path


def _line(record) -> str:
    payload = json.loads(record.payload)
    details = " ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in payload.items())
    who = record.actor or "-"
    where = record.conversation_id or "-"
    order = record.order_bill_no or "-"
    stamp = record.created_at.strftime("%Y-%m-%d %H:%M:%S")
    return f"#{record.id:<6} {stamp}Z {record.kind:<8} actor={who} conv={where} order={order} {details}"


def _verify(args) -> int:
    from rasa_project import catalog, wiring

    trail = wiring.current().audit
    result = trail.verify()
    if result.ok:
        print(catalog.text("audit.verify.ok", args.lang, checked=result.checked))
    else:
        print(
            catalog.text(
                "audit.verify.broken",
                args.lang,
                record_id=result.first_broken_id,
                reason=result.reason,
                checked=result.checked,
            )
        )
    if args.anchors is None:
        return 0 if result.ok else 1
    from rasa_project.audit.anchor import read_anchors

    anchored = trail.verify_anchors(read_anchors(args.anchors), wiring.current().settings.audit_anchor_key.get_secret_value())
    if anchored.ok:
        print(catalog.text("audit.anchors.ok", args.lang, anchors=anchored.anchors))
    else:
        print(catalog.text("audit.anchors.broken", args.lang, record_id=anchored.anchor_id, reason=anchored.reason,
                           anchors=anchored.anchors))
    return 0 if result.ok and anchored.ok else 1


def _anchor(args) -> int:
    from rasa_project import catalog, wiring

    settings = wiring.current().settings
    anchor = wiring.current().anchors.anchor_now()
    print(catalog.text("audit.anchor.written", args.lang, record_id=anchor.id, hash=anchor.hash,
                       path=settings.audit_anchor_file))
    return 0


def _show(args) -> int:
    from rasa_project import wiring

    for record in wiring.current().audit.history(args.order, limit=args.limit):
        print(_line(record))
    return 0


def _tail(args) -> int:
    from rasa_project import wiring

    for record in wiring.current().audit.tail(args.n):
        print(_line(record))
    return 0


def register(sub) -> None:
    audit = sub.add_parser("audit", help="the tamper-evident audit trail")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION")
    verify = audit_sub.add_parser(
        "verify", help="check the hash chain (exit 1 names the first broken record)"
    )
    verify.add_argument("--lang", choices=("zh", "id", "en"), default="en")
    verify.add_argument("--anchors", type=Path, default=None, metavar="FILE",
                        help="also hold the chain against these signed anchors (detects a rewrite of it all)")
    verify.set_defaults(func=_verify)
    anchor = audit_sub.add_parser("anchor", help="export the signed chain head to the anchor file now")
    anchor.add_argument("--lang", choices=("zh", "id", "en"), default="en")
    anchor.set_defaults(func=_anchor)
    show = audit_sub.add_parser("show", help="history of one production order")
    show.add_argument("--order", required=True, metavar="BILL_NO")
    show.add_argument("--limit", type=int, default=None)
    show.set_defaults(func=_show)
    tail = audit_sub.add_parser("tail", help="the newest records")
    tail.add_argument("-n", type=int, default=20)
    tail.set_defaults(func=_tail)
