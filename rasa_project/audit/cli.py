"""`dingk3 audit verify | show --order BILL_NO | tail`."""

from __future__ import annotations

import json


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

    result = wiring.current().audit.verify()
    if result.ok:
        print(catalog.text("audit.verify.ok", args.lang, checked=result.checked))
        return 0
    print(
        catalog.text(
            "audit.verify.broken",
            args.lang,
            record_id=result.first_broken_id,
            reason=result.reason,
            checked=result.checked,
        )
    )
    return 1


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
    verify.set_defaults(func=_verify)
    show = audit_sub.add_parser("show", help="history of one production order")
    show.add_argument("--order", required=True, metavar="BILL_NO")
    show.add_argument("--limit", type=int, default=None)
    show.set_defaults(func=_show)
    tail = audit_sub.add_parser("tail", help="the newest records")
    tail.add_argument("-n", type=int, default=20)
    tail.set_defaults(func=_tail)
