"""`dingk3 risk predict | reschedule`: the planning core over a factory-history file.

``predict`` prints one JSON line per order open at ``--as-of``:
``{"bill_no", "level", "projected_finish", "reason"}`` (``--details`` adds the figures).
``reschedule`` prints the options for one order, one JSON line each.
Only reports dated before ``--as-of`` are used, whatever else the file holds.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date

from rasa_project.catalog import LANGS


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def _snapshot(args):
    from rasa_project.planning.history import HistoryError, load_history

    try:
        history = load_history(args.history)
    except FileNotFoundError:
        print(f"dingk3 risk: no such history file: {args.history}", file=sys.stderr)
        return None
    except HistoryError as exc:
        print(f"dingk3 risk: {exc}", file=sys.stderr)
        return None
    return history.snapshot(args.as_of)


def _predict(args) -> int:
    from rasa_project.planning.risk import assess

    snapshot = _snapshot(args)
    if snapshot is None:
        return 2
    for risk in assess(snapshot):
        line = {
            "bill_no": risk.bill_no,
            "level": risk.level.value,
            "projected_finish": risk.projected_finish.isoformat() if risk.projected_finish else None,
            "reason": risk.explain(args.lang),
        }
        if args.details:
            line.update({k: v for k, v in risk.as_dict().items() if k not in line and k != "reason"})
        print(json.dumps(line, ensure_ascii=False))
    return 0


def _reschedule(args) -> int:
    from rasa_project import catalog
    from rasa_project.planning.reschedule import reschedule

    snapshot = _snapshot(args)
    if snapshot is None:
        return 2
    plan = reschedule(snapshot, args.order)
    if not plan.options:
        print(json.dumps({"bill_no": args.order, "status": plan.status,
                          "reason": catalog.text(f"planning.plan_{plan.status}", args.lang, bill_no=args.order)},
                         ensure_ascii=False))
        return 0
    for option in plan.options:
        line = option.as_dict()
        line["text"] = option.explain(args.lang)
        del line["summary"]
        print(json.dumps(line, ensure_ascii=False))
    return 0


def register(sub) -> None:
    risk = sub.add_parser("risk", help="delay risk and rescheduling of production orders")
    risk_sub = risk.add_subparsers(dest="risk_command", metavar="ACTION")
    risk.set_defaults(func=lambda args: risk.print_help() or 2)

    def common(p):
        p.add_argument("--history", required=True, help="factory history, JSON lines (calendar, work_center, order, report)")
        p.add_argument("--as-of", required=True, type=_day, help="business date YYYY-MM-DD; reports before it count")
        p.add_argument("--lang", choices=LANGS, default="en", help="language of the reasons (default en)")

    predict = risk_sub.add_parser("predict", help="one JSON line per order open at --as-of")
    common(predict)
    predict.add_argument("--details", action="store_true", help="add slack, rates, basis to each line")
    predict.set_defaults(func=_predict)

    resched = risk_sub.add_parser("reschedule", help="CP-SAT options for one order, one JSON line each")
    common(resched)
    resched.add_argument("--order", required=True, help="bill number of the order")
    resched.set_defaults(func=_reschedule)
