"""Backtest of the delay-risk model against generated histories whose truth is known.

For every order and every horizon h (7, 3, 1 working days), the as-of date is the working day h
working days before its due date (the last working day on or before ``plan_finish``). Every order
still open at that date (its cumulative good had not reached its quantity on the day before) is
predicted from the reports dated before it; "warned" (``at_risk`` or ``late``) is scored against
"late" (its cumulative good reached its quantity after its plan finish) with precision, recall and
F1, and the projected finish against the actual one with the mean absolute error in working days.

Two baselines run on the same snapshots:

``due_passed``     late only once the due date has passed; projected finish = plan finish.
``straight_line``  the order's own average good per working day since its first report, extrapolated;
                   an order without a report is assumed on time (projected finish = plan finish).

The evaluation sets are fixed here. The model was tuned on ``tuning`` only; ``holdout`` (other
seeds and parameter mixes of the same generator) and ``variant`` (the other generator variant, with
different dispatching, downtime, learning and reporting dynamics) were never looked at while tuning.
"""

from __future__ import annotations

import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from devtools.risk.generator import Generated, generate
from rasa_project.planning.model import Snapshot
from rasa_project.planning.risk import (
    RiskParams,
    Timeline,
    assess,
    daily_output,
    walk_working_days,
    working_days_between,
)

HORIZONS = (7, 3, 1)
METHODS = ("model", "due_passed", "straight_line")

# (name, what it is, [(mix, seed), ...])
SETS = {
    "tuning": ("tuned on: queue generator, base mix", [("base", s) for s in (1, 2, 3, 4)]),
    "holdout": (
        "never tuned on: queue generator, other seeds and mixes (base, tight = overbooked, loose = Mon-Fri light)",
        [("base", 101), ("base", 102), ("tight", 103), ("tight", 104), ("loose", 105), ("loose", 106)],
    ),
    "variant": (
        ("never tuned on: breakdown generator (first-come dispatch with proportional split, multi-day "
        "breakdowns, learning curve, drifting paces, bad batches, late starts, late reports)"),
        [("breakdown", 201), ("breakdown", 202), ("breakdown_tight", 203), ("breakdown_tight", 204)],
    ),
}


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    abs_err: float = 0.0
    projected: int = 0  # predictions with a projected finish (the MAE is over these)
    unprojected: int = 0

    def add(self, warned: bool, late: bool, err: float | None) -> None:
        if warned and late:
            self.tp += 1
        elif warned:
            self.fp += 1
        elif late:
            self.fn += 1
        else:
            self.tn += 1
        if err is None:
            self.unprojected += 1
        else:
            self.abs_err += abs(err)
            self.projected += 1

    def merge(self, other: Score) -> None:
        for name in ("tp", "fp", "fn", "tn", "abs_err", "projected", "unprojected"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    def as_dict(self) -> dict:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "n": self.n,
            "late": self.tp + self.fn,
            "warned": self.tp + self.fp,
            "precision": round(precision, 3),
            "recall": round(recall, 3),
            "f1": round(f1, 3),
            "mae_working_days": round(self.abs_err / self.projected, 2) if self.projected else None,
            "unprojected": self.unprojected,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
        }


@dataclass
class Result:
    scores: dict = field(default_factory=lambda: defaultdict(Score))  # (method, horizon) -> Score
    orders: int = 0
    late_orders: int = 0

    def merge(self, other: Result) -> None:
        for key, score in other.scores.items():
            self.scores[key].merge(score)
        self.orders += other.orders
        self.late_orders += other.late_orders

    def pooled(self, method: str) -> dict:
        """One score over all horizons together."""
        total = Score()
        for h in HORIZONS:
            total.merge(self.scores[(method, h)])
        return total.as_dict()

    def table(self) -> dict:
        return {
            method: {str(h): self.scores[(method, h)].as_dict() for h in HORIZONS} for method in METHODS
        }


def baseline_straight_line(snapshot: Snapshot, timeline: Timeline) -> dict[str, date | None]:
    """Own average since the first report, extrapolated; unstarted orders finish as planned."""
    out = {}
    for order in snapshot.open_orders():
        series = daily_output([r for r in snapshot.reports if r.bill_no == order.bill_no], snapshot.calendar, snapshot.as_of)
        if not series:
            out[order.bill_no] = order.plan_finish
            continue
        rate = sum(g for _, g in series) / len(series)
        if rate <= 0:
            out[order.bill_no] = None
            continue
        days = math.ceil(order.remaining / rate - 1e-9)
        out[order.bill_no] = timeline.day(days - 1) if days - 1 < len(timeline) else None
    return out


def run_history(generated: Generated, params: RiskParams) -> Result:
    history = generated.history
    cal = history.calendar
    first_day = min(o.plan_start for o in history.orders)
    wanted: dict[date, list[tuple[str, int]]] = defaultdict(list)  # as_of -> [(bill_no, horizon)]
    for order in history.orders:
        due = order.plan_finish if cal.is_working_day(order.plan_finish) else walk_working_days(
            cal, cal.next_working_day(order.plan_finish), -1
        )
        for h in HORIZONS:
            as_of = walk_working_days(cal, due, -h)
            if as_of <= first_day:
                continue  # nothing was known yet
            if generated.finish[order.bill_no] < as_of:
                continue  # finished before: not open at the as-of date
            wanted[as_of].append((order.bill_no, h))
    result = Result(orders=len(history.orders), late_orders=sum(generated.is_late(o.bill_no) for o in history.orders))
    for as_of in sorted(wanted):
        snapshot = history.snapshot(as_of)
        risks = {r.bill_no: r for r in assess(snapshot, params)}
        timeline = Timeline(cal, as_of, params.horizon_working_days)
        straight = baseline_straight_line(snapshot, timeline)
        for bill_no, h in wanted[as_of]:
            order = snapshot.order(bill_no)
            actual = generated.finish[bill_no]
            late = actual > order.plan_finish
            risk = risks[bill_no]
            predictions = {
                "model": (risk.level.warned, risk.projected_finish),
                "due_passed": (as_of > order.plan_finish, order.plan_finish),
                "straight_line": (
                    straight[bill_no] is None or straight[bill_no] > order.plan_finish,
                    straight[bill_no],
                ),
            }
            for method, (warned, projected) in predictions.items():
                err = working_days_between(cal, actual, projected) if projected is not None else None
                result.scores[(method, h)].add(warned, late, err)
    return result


def run_set(name: str, params: RiskParams) -> tuple[Result, list[dict]]:
    total = Result()
    per_history = []
    for mix, seed in SETS[name][1]:
        generated = generate(mix, seed)
        result = run_history(generated, params)
        total.merge(result)
        per_history.append(
            {
                "mix": mix,
                "variant": generated.mix.variant,
                "seed": seed,
                "orders": result.orders,
                "late_orders": result.late_orders,
                "f1": {m: {str(h): result.scores[(m, h)].as_dict()["f1"] for h in HORIZONS} for m in METHODS},
            }
        )
    return total, per_history


def backtest(sets: tuple[str, ...] = tuple(SETS), params: RiskParams | None = None) -> dict:
    params = params or RiskParams()
    started = time.monotonic()
    report = {"params": params.__dict__, "horizons": list(HORIZONS), "sets": {}}
    for name in sets:
        total, per_history = run_set(name, params)
        report["sets"][name] = {
            "description": SETS[name][0],
            "histories": per_history,
            "orders": total.orders,
            "late_orders": total.late_orders,
            "results": total.table(),
        }
    report["seconds"] = round(time.monotonic() - started, 1)
    return report


def beats_baselines(table: dict, margin: float = 0.0) -> bool:
    """The model's F1 is above both baselines' (by more than ``margin``) and its MAE below theirs,
    at every horizon."""
    for h in map(str, HORIZONS):
        model = table["model"][h]
        for base in ("due_passed", "straight_line"):
            other = table[base][h]
            if model["f1"] <= other["f1"] + margin:
                return False
            if other["mae_working_days"] is not None and model["mae_working_days"] >= other["mae_working_days"]:
                return False
    return True


def margins(table: dict) -> list[str]:
    """Per horizon: how far the model is ahead of the stronger baseline."""
    out = []
    for h in map(str, HORIZONS):
        model = table["model"][h]
        best_f1 = max(table[b][h]["f1"] for b in ("due_passed", "straight_line"))
        best_mae = min(table[b][h]["mae_working_days"] for b in ("due_passed", "straight_line"))
        out.append(
            f"{h} wd: F1 {model['f1']:.3f} vs best baseline {best_f1:.3f} ({model['f1'] - best_f1:+.3f}); "
            f"MAE {model['mae_working_days']:.2f} vs {best_mae:.2f} ({model['mae_working_days'] - best_mae:+.2f} wd)"
        )
    return out


def markdown(report: dict) -> str:
    lines = ["# Delay-risk backtest", ""]
    lines.append(
        "Warned = `at_risk` or `late`, scored against the truth \"cumulative good reached the quantity after the "
        "plan finish\", at 7, 3 and 1 working days before each due date, over the orders still open then. "
        "MAE = mean absolute error of the projected finish, in working days."
    )
    lines.append("")
    lines.append("Parameters: " + ", ".join(f"`{k}={v}`" for k, v in report["params"].items()))
    for name, data in report["sets"].items():
        lines += ["", f"## {name}: {data['description']}", ""]
        lines.append(f"{len(data['histories'])} histories, {data['orders']} orders, {data['late_orders']} late.")
        lines.append("")
        lines.append("| method | horizon | n | late | precision | recall | F1 | MAE (wd) |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for method in METHODS:
            for h in map(str, HORIZONS):
                s = data["results"][method][h]
                mae = "—" if s["mae_working_days"] is None else f"{s['mae_working_days']:.2f}"
                lines.append(
                    f"| {method} | {h} | {s['n']} | {s['late']} | {s['precision']:.3f} | {s['recall']:.3f} | "
                    f"{s['f1']:.3f} | {mae} |"
                )
        lines.append("")
        lines += [f"- {m}" for m in margins(data["results"])]
        lines.append("")
        verdict = "yes" if beats_baselines(data["results"]) else "NO"
        lines.append(f"Model above both baselines in F1 and below them in MAE at every horizon: **{verdict}**")
    lines += ["", f"Run time: {report['seconds']} s.", ""]
    return "\n".join(lines)


def write_reports(report: dict, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "backtest.json", out_dir / "backtest.md"
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(markdown(report), encoding="utf-8")
    return json_path, md_path
