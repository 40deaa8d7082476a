"""`dingk3 review`: the trainers' inbox, and annotation in one step.

    dingk3 review [list] [--lang zh|id|en] [--reason R] [--json] [--all] [--as STAFF_ID]
    dingk3 review intent ITEM INTENT [--lang L] [--text T] --by STAFF_ID
    dingk3 review alias (--material CODE | --work-center NUMBER) WORD [--item ITEM] --by STAFF_ID
    dingk3 review retrain --by STAFF_ID [--accept-worse] [--no-switch] [--before MODEL]
    dingk3 status

Never asks anything: every answer is an argument, so it behaves the same in a terminal, a pipe or
a script. Staff ids are never printed; ``--as`` a manager shows the names of who wrote a message.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

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


def _annotated(trail) -> list[tuple[str, str]]:
    """(text, intent) of every message a trainer annotated, newest annotation per text."""
    seen: dict[str, str] = {}
    for record in trail.of_kinds(("training",)):
        payload = json.loads(record.payload)
        if payload.get("change") == "example" and payload.get("intent"):
            seen[payload["text"]] = payload["intent"]
    return list(seen.items())


def _retrain(args) -> int:
    from rasa_project import wiring
    from rasa_project.nlu.datacheck import evaluation_sets
    from rasa_project.nlu.parsing import NluParser
    from rasa_project.nlu.training import TrainingFailed, train
    from rasa_project.review import compare, rollout

    w = wiring.current()
    settings = w.settings
    print("training (if the data changed) ...", flush=True)
    try:
        trained = train(settings.project_root, settings.model_dir, settings.var_dir / "logs" / "train.log")
    except TrainingFailed as exc:
        print(f"training failed (exit {exc.returncode}); see {exc.log_path}", file=sys.stderr)
        return 1
    after = trained.path.resolve()
    how = f"trained in {trained.seconds:.0f} s" if trained.trained else "inputs unchanged"
    print(f"model: {after.name} ({how})")
    running = rollout.active_models(settings)
    if args.before:
        before = Path(args.before).resolve()
    else:
        loaded = [Path(m) for m in running.values() if m]
        older = sorted((p for p in settings.model_dir.glob("*.tar.gz") if p.resolve() != after),
                       key=lambda p: p.stat().st_mtime)
        before = (loaded[0] if loaded else older[-1] if older else None)
        if before is not None and not before.is_absolute():
            before = (settings.project_root / before).resolve()
    if before is None or not before.exists() or before == after:
        print("no other model to compare with: nothing to switch" if before != after else
              "the servers already answer with this model")
        return 0
    texts = _annotated(w.audit)
    sets = evaluation_sets(settings.project_root)
    evaluations = []
    for model in (before, after):
        print(f"scoring {model.name} on {len(sets)} evaluation sets ...", flush=True)
        parser = NluParser(model)
        try:
            evaluations.append(compare.evaluate(parser, sets, texts))
        finally:
            parser.close()
    result = compare.compare(evaluations[0], evaluations[1], texts)
    _, md = compare.write(result, args.report or settings.project_root / "reports" / "review")
    for name, figures in result["sets"].items():
        b, a = figures["before"], figures["after"]
        print(f"{name}: intent {b['intent_accuracy']} -> {a['intent_accuracy']}, "
              f"entity F1 {b['entity_f1']} -> {a['entity_f1']}")
    understood = sum(i["understood"] for i in result["inbox"])
    regressions = sum(c["kind"] == "regression" for c in result["changed"])
    print(f"annotated inbox messages understood: {understood}/{len(result['inbox'])}; "
          f"evaluation regressions: {regressions}; report: {md}")
    if result["worse"] and not args.accept_worse:
        print(f"worse on {', '.join(result['worse'])}: not switched (--accept-worse to switch anyway)")
        return 3
    if args.no_switch:
        return 0
    outcome = rollout.switch(settings, after)
    for url, what in outcome.items():
        print(f"{url}: {what}")
    rollout.record_switch(w.audit, by=args.by, after=after, previous=before.name, worse=result["worse"],
                          servers=outcome)
    return 0 if all(v == "loaded" for v in outcome.values()) else 1


def _status(args) -> int:
    from rasa_project import wiring
    from rasa_project.review import rollout

    for url, model in rollout.active_models(wiring.current().settings).items():
        print(f"{url}: {'model ' + rollout.model_hash(model) + ' (' + str(model) + ')' if model else 'not answering'}")
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
    retrain = actions.add_parser("retrain", help="retrain if the data changed, compare before/after, switch the servers")
    retrain.add_argument("--before", default=None, help="the model to compare with (default: the one the servers run)")
    retrain.add_argument("--accept-worse", action="store_true", help="switch even if an evaluation set got worse")
    retrain.add_argument("--no-switch", action="store_true", help="compare only")
    retrain.add_argument("--report", type=Path, default=None, help="report folder (default reports/review)")
    retrain.add_argument("--by", required=True, metavar="STAFF_ID", help="who retrains (audited)")
    retrain.set_defaults(func=_retrain)
    status = sub.add_parser("status", help="which model each Rasa server answers with")
    status.set_defaults(func=_status)
