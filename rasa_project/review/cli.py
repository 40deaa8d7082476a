"""`dingk3 review`: the trainers' inbox, and annotation in one step.

    dingk3 review [list] [--lang zh|id|en] [--reason R] [--json] [--all] [--as STAFF_ID]
    dingk3 review intent ITEM INTENT [--lang L] [--text T] --by STAFF_ID
    dingk3 review alias (--material CODE | --work-center NUMBER) WORD [--item ITEM] --by STAFF_ID

Never asks anything: every answer is an argument, so it behaves the same in a terminal, a pipe or
a script. Staff ids are never printed; ``--as`` a manager shows the names of who wrote a message.
"""

from __future__ import annotations

import json
import sys

from rasa_project.review.inbox import REASONS


def _names(staff_ids: list[str], viewer: str | None) -> str | None:
    """Names of the people, for a viewer allowed to see them (managers); else None."""
    if not viewer:
        return None
    from rasa_project import wiring

    authorizer = wiring.current().authorizer
    if "managers" not in authorizer.roles_of(viewer):
        return None
    directory = wiring.current().directory
    names = []
    for staff_id in staff_ids:
        person = directory.find(staff_id)
        names.append(person.name if person and person.name else "?")
    return ", ".join(names)


def _list(args) -> int:
    from rasa_project import wiring

    items = wiring.current().review.inbox(language=args.lang, reason=args.reason, include_handled=args.all)
    if args.json:
        for item in items:
            print(json.dumps(item.as_dict(), ensure_ascii=False))
        return 0
    if not items:
        print("inbox empty")
        return 0
    for item in items:
        who = _names(item.speakers, args.viewer)
        people = f"{len(item.speakers)} {'person' if len(item.speakers) == 1 else 'people'}" + (f" ({who})" if who else "")
        print(f"{item.id}  {item.last_at:%Y-%m-%d %H:%M}  x{item.count:<3} {','.join(item.languages) or '-':<6}"
              f" {','.join(item.reasons):<28} {item.intent or '-'} {item.confidence:.2f}  {people}")
        print(f"            {item.text}")
    return 0


def _refused(exc) -> int:
    print(f"refused: {exc.reason}", file=sys.stderr)
    for problem in exc.problems:
        print(f"  {problem}", file=sys.stderr)
    return 1


def _intent(args) -> int:
    from rasa_project import wiring
    from rasa_project.review.annotate import Refused
    from rasa_project.review.service import UnknownItem

    try:
        edit = wiring.current().review.set_intent(args.item, args.intent, by=args.by, lang=args.lang, text=args.text)
    except UnknownItem:
        print(f"no inbox item {args.item!r} (see `dingk3 review`)", file=sys.stderr)
        return 1
    except Refused as exc:
        return _refused(exc)
    print(f"added to {edit.path}:{edit.line}: {edit.text}  (intent {args.intent}; `make train` to use it)")
    return 0


def _alias(args) -> int:
    from rasa_project import wiring
    from rasa_project.review.annotate import Refused
    from rasa_project.review.service import UnknownItem

    kind, code = ("material", args.material) if args.material else ("work_center", args.work_center)
    try:
        edit = wiring.current().review.add_alias(args.item, kind, code, args.word, by=args.by)
    except UnknownItem:
        print(f"no inbox item {args.item!r} (see `dingk3 review`)", file=sys.stderr)
        return 1
    except Refused as exc:
        return _refused(exc)
    print(f"added alias {edit.text!r} of {code} to {edit.path}:{edit.line}  (`make train` to use it)")
    return 0


def register(sub) -> None:
    review = sub.add_parser("review", help="trainers: the inbox of misunderstood messages, and annotation")
    review.set_defaults(func=_list, lang=None, reason=None, json=False, all=False, viewer=None)
    actions = review.add_subparsers(dest="review_command", metavar="ACTION")
    listing = actions.add_parser("list", help="the inbox, newest first (the default)")
    for parser in (review, listing):
        parser.add_argument("--lang", choices=("zh", "id", "en", "mixed"), default=None)
        parser.add_argument("--reason", choices=REASONS, default=None)
        parser.add_argument("--json", action="store_true", help="one JSON object per line")
        parser.add_argument("--all", action="store_true", help="include messages already annotated")
        parser.add_argument("--as", dest="viewer", default=None, metavar="STAFF_ID",
                            help="show names of who wrote them, if this person may see them (managers)")
    listing.set_defaults(func=_list)
    intent = actions.add_parser("intent", help="confirm or correct a message's intent (adds a training example)")
    intent.add_argument("item")
    intent.add_argument("intent")
    intent.add_argument("--lang", choices=("zh", "id", "en", "mixed"), default=None)
    intent.add_argument("--text", default=None, help="the example as it should be written (default: the message)")
    intent.add_argument("--by", required=True, metavar="STAFF_ID", help="who annotates (audited)")
    intent.set_defaults(func=_intent)
    alias = actions.add_parser("alias", help="add a word as an alias of a material or a work center")
    which = alias.add_mutually_exclusive_group(required=True)
    which.add_argument("--material", metavar="CHAT_CODE")
    which.add_argument("--work-center", dest="work_center", metavar="NUMBER")
    alias.add_argument("word")
    alias.add_argument("--item", default=None, help="the inbox message the word comes from")
    alias.add_argument("--by", required=True, metavar="STAFF_ID", help="who annotates (audited)")
    alias.set_defaults(func=_alias)
