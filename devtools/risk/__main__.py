"""``python -m devtools.risk backtest | generate | tune``.

backtest   run the delay-risk backtest on the fixed evaluation sets; reports/risk/backtest.{json,md};
           exit 1 when, on a set it was not tuned on, the model does not beat both baselines (F1 higher,
           MAE lower) at every horizon
generate   write one seeded history (JSON lines, the `dingk3 risk predict --history` format) and its truth
tune       score a grid of model parameters on the TUNING set only (the other sets stay unseen)
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

from devtools.risk.backtest import HORIZONS, SETS, backtest, beats_baselines, markdown, run_set, write_reports
from devtools.risk.generator import MIXES, generate
from rasa_project.planning.history import write_history
from rasa_project.planning.risk import RiskParams


def _backtest(args) -> int:
    sets = tuple(args.sets.split(",")) if args.sets else tuple(SETS)
    unknown = [s for s in sets if s not in SETS]
    if unknown:
        print(f"unknown set(s): {', '.join(unknown)}; known: {', '.join(SETS)}", file=sys.stderr)
        return 2
    report = backtest(sets)
    json_path, md_path = write_reports(report, Path(args.out))
    print(markdown(report))
    print(f"reports: {json_path} {md_path}")
    # the verdict counts the sets the model was never tuned on; the tuning set is reported, not evidence
    ok = all(beats_baselines(data["results"]) for name, data in report["sets"].items() if name != "tuning")
    return 0 if ok else 1


def _generate(args) -> int:
    generated = generate(args.mix, args.seed)
    write_history(args.out, generated.history)
    if args.truth:
        with open(args.truth, "w", encoding="utf-8") as fh:
            for order in generated.history.orders:
                finish = generated.finish[order.bill_no]
                fh.write(
                    json.dumps({"bill_no": order.bill_no, "finish": finish.isoformat(), "late": finish > order.plan_finish})
                    + "\n"
                )
    print(f"{args.out}: {len(generated.history.orders)} orders, {len(generated.history.reports)} reports")
    return 0


def _tune(args) -> int:
    grid = json.loads(args.grid)
    keys = list(grid)
    for values in itertools.product(*(grid[k] for k in keys)):
        params = RiskParams(**dict(zip(keys, values)))
        total, _ = run_set("tuning", params)
        table = total.table()["model"]
        f1 = [table[str(h)]["f1"] for h in HORIZONS]
        mae = [table[str(h)]["mae_working_days"] for h in HORIZONS]
        print(json.dumps({"params": dict(zip(keys, values)), "f1": f1, "mean_f1": round(sum(f1) / len(f1), 3), "mae": mae}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.risk", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    bt = sub.add_parser("backtest", help="model vs baselines on the evaluation sets")
    bt.add_argument("--sets", help=f"comma-separated, default all: {','.join(SETS)}")
    bt.add_argument("--out", default="reports/risk")
    bt.set_defaults(func=_backtest)
    gen = sub.add_parser("generate", help="one seeded history file")
    gen.add_argument("--mix", choices=sorted(MIXES), default="base")
    gen.add_argument("--seed", type=int, default=1)
    gen.add_argument("--out", required=True)
    gen.add_argument("--truth", help="also write each order's actual finish and lateness here (JSON lines)")
    gen.set_defaults(func=_generate)
    tune = sub.add_parser("tune", help="grid of RiskParams on the tuning set only")
    tune.add_argument("--grid", required=True, help='JSON, e.g. {"at_risk_margin": [0.04, 0.06]}')
    tune.set_defaults(func=_tune)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
