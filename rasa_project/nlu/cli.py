"""`dingk3 train | parse | data check | nlu-test`: the trainer's commands."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


def register(sub) -> None:
    p = sub.add_parser("train", help="train the Rasa model (cached by content hash)")
    p.add_argument("--force", action="store_true", help="train even if a model for these inputs exists")
    p.add_argument("--nlu-only", action="store_true", help="NLU model only (no domain.yml needed)")
    p.add_argument("--out", type=Path, default=None, help="model directory (default: settings.model_dir)")
    p.add_argument("--print-path", action="store_true", help="print only the model path (training if needed)")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("parse", help="parse messages (JSON lines or plain lines) with the model")
    p.add_argument("--now", default=None, help="business time for relative dates, ISO 8601")
    p.add_argument("--jsonl", default="-", help="input file ({'text': ...} per line or plain lines); - = stdin")
    p.add_argument("--model", type=Path, default=None, help="model .tar.gz (default: current model, trained if needed)")
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("data", help="training data tools")
    data_sub = p.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    check = data_sub.add_parser("check", help="validate data/ (duplicates, languages, aliases, domain)")
    check.add_argument("--data-dir", type=Path, default=None)
    check.add_argument("--domain", type=Path, default=None)
    check.set_defaults(func=cmd_data_check)
    p.set_defaults(func=lambda args: p.print_help() or 2)

    p = sub.add_parser("nlu-test", help="evaluate the model on the held-out sets (tests/nlu_eval)")
    p.add_argument("--model", type=Path, default=None)
    p.add_argument("--set", "--heldout", dest="sets", type=Path, action="append", default=None, metavar="FILE",
                   help="evaluation set (repeatable); default: every tests/nlu_eval/*.yml")
    p.add_argument("--report", type=Path, default=None, help="report directory (default: reports/nlu)")
    p.add_argument("--min-intent-accuracy", type=float, default=0.97)
    p.add_argument("--min-entity-f1", type=float, default=0.95)
    p.set_defaults(func=cmd_nlu_test)


def _settings():
    from rasa_project.settings import get_settings

    return get_settings()


def _train(args, nlu_only: bool):
    from rasa_project.nlu.training import train

    s = _settings()
    return train(s.project_root, args.out or s.model_dir, s.var_dir / "logs" / "train.log",
                 nlu_only=nlu_only, force=getattr(args, "force", False))


def cmd_train(args) -> int:
    from rasa_project.nlu.training import TrainingFailed

    try:
        result = _train(args, args.nlu_only)
    except TrainingFailed as exc:
        print(f"training failed (exit {exc.returncode}); see {exc.log_path}", file=sys.stderr)
        return 1
    if args.print_path:
        print(result.path)
    elif result.trained:
        print(f"trained {result.path} in {result.seconds:.1f}s (log: {_settings().var_dir / 'logs' / 'train.log'})")
    else:
        print(f"up to date: {result.path}")
    return 0


def _model(path: Path | None) -> Path:
    """The given model, or the NLU-only model for the current inputs (trained if needed).

    Its NLU graph is the bot's: same config.yml, same data/nlu, fixed random seed; it does not
    depend on the dialog files, so parsing works while rules/stories are being edited.
    """
    if path:
        return path
    from rasa_project.nlu.training import ensure_model

    return ensure_model(nlu_only=True)


def read_texts(stream: TextIO) -> Iterator[str]:
    """Texts from JSON lines ({"text": ...}) or plain lines; blank lines are skipped."""
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        if line.lstrip().startswith("{"):
            try:
                yield str(json.loads(line)["text"])
                continue
            except (ValueError, KeyError, TypeError):
                pass
        yield line


def cmd_parse(args) -> int:
    from rasa_project.nlu.parsing import NluParser
    from rasa_project.nlu.training import TrainingFailed

    try:
        model = _model(args.model)
    except TrainingFailed as exc:
        print(f"training failed (exit {exc.returncode}); see {exc.log_path}", file=sys.stderr)
        return 1
    parser = NluParser(model)
    try:
        if args.jsonl == "-":
            _write_records(parser, sys.stdin, args.now)
        else:
            with open(args.jsonl, encoding="utf-8") as stream:
                _write_records(parser, stream, args.now)
    finally:
        parser.close()
    return 0


def _write_records(parser, stream: TextIO, now: str | None) -> None:
    for record in parser.parse_many(read_texts(stream), now=now):
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        sys.stdout.flush()


def cmd_data_check(args) -> int:
    from rasa_project.nlu.datacheck import check_data

    s = _settings()
    problems = check_data(s.project_root, data_dir=args.data_dir, domain_path=args.domain)
    for problem in problems:
        print(problem)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    print(f"data check: {errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0


def cmd_nlu_test(args) -> int:
    """Score every requested set with one loaded model; exit 1 if any set misses a target."""
    from rasa_project.nlu.datacheck import evaluation_sets, training_copies
    from rasa_project.nlu.evaluation import load_examples, score, summary_lines, write_reports
    from rasa_project.nlu.parsing import NluParser
    from rasa_project.nlu.training import TrainingFailed

    s = _settings()
    sets = args.sets or evaluation_sets(s.project_root)
    try:
        model = _model(args.model)
    except TrainingFailed as exc:
        print(f"training failed (exit {exc.returncode}); see {exc.log_path}", file=sys.stderr)
        return 1
    out_dir = args.report or s.project_root / "reports" / "nlu"
    parser = NluParser(model)
    results = []
    try:
        for path in sets:
            examples, anchor = load_examples(path)
            predictions = list(parser.parse_many((e.text for e in examples), now=anchor))
            seen = training_copies(s.project_root, [e.text for e in examples])
            report = score(examples, predictions, seen)
            paths = write_reports(report, out_dir, model.name, str(path), name=path.stem)
            results.append((path, report))
            print(f"== {path}")
            for line in summary_lines(report):
                print(line)
            print(f"report: {paths[0]} {paths[1]}")
    finally:
        parser.close()
    failed = [p.stem for p, r in results
              if r.intent_accuracy < args.min_intent_accuracy or r.entity_f1 < args.min_entity_f1]
    if failed:
        print(f"below target (intent >= {args.min_intent_accuracy}, entity F1 >= {args.min_entity_f1}): "
              + ", ".join(failed))
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """`python -m rasa_project.nlu.cli nlu-test` works without the console script."""
    parser = argparse.ArgumentParser(prog="dingk3-nlu")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.func(args) or 0) if getattr(args, "func", None) else 2


if __name__ == "__main__":
    sys.exit(main())
