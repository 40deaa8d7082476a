"""reports/dialogues/latest.json and latest.md: pass rate overall, per language, per class, and each
failure with its first failed expectation."""

from __future__ import annotations

import json
import time
from pathlib import Path

from devtools.dialogues.spec import CLASSES, LANGUAGES


def _rate(items: list) -> dict:
    passed = sum(1 for o in items if o.passed)
    return {"passed": passed, "total": len(items), "rate": (passed / len(items)) if items else 0.0}


def summarize(outcomes: list, *, duration_s: float, work_dir: Path | None = None) -> dict:
    return {
        "generated_unix": int(time.time()), "duration_s": round(duration_s, 1),
        "work_dir": str(work_dir) if work_dir else None,
        "overall": _rate(outcomes),
        "by_language": {lang: _rate([o for o in outcomes if o.dialogue.language == lang]) for lang in LANGUAGES
                        if any(o.dialogue.language == lang for o in outcomes)},
        "by_class": {cls: _rate([o for o in outcomes if o.dialogue.cls == cls]) for cls in CLASSES
                     if any(o.dialogue.cls == cls for o in outcomes)},
        "dialogues": [o.as_dict() for o in outcomes],
    }


def _rate_dicts(items: list[dict]) -> dict:
    passed = sum(1 for d in items if d["passed"])
    return {"passed": passed, "total": len(items), "rate": (passed / len(items)) if items else 0.0}


def merge(old: dict, new: dict) -> dict:
    """``old`` with the dialogues of ``new`` replacing theirs (a partial re-run), rates recomputed."""
    fresh = {d["id"]: d for d in new["dialogues"]}
    dialogues = [fresh.pop(d["id"], d) for d in old["dialogues"]] + list(fresh.values())
    return {**old, "generated_unix": new["generated_unix"], "duration_s": old["duration_s"],
            "rerun": sorted({d["id"] for d in new["dialogues"]}) + list(old.get("rerun", [])),
            "overall": _rate_dicts(dialogues),
            "by_language": {lang: _rate_dicts([d for d in dialogues if d["language"] == lang]) for lang in LANGUAGES
                            if any(d["language"] == lang for d in dialogues)},
            "by_class": {cls: _rate_dicts([d for d in dialogues if d["class"] == cls]) for cls in CLASSES
                         if any(d["class"] == cls for d in dialogues)},
            "dialogues": dialogues}


def _pct(r: dict) -> str:
    return f"{r['passed']}/{r['total']} ({r['rate']:.0%})"


def markdown(report: dict) -> str:
    lines = ["# Dialogue evaluation (issue 13)", "",
             f"Overall: **{_pct(report['overall'])}**, {report['duration_s']:.0f} s."
             + (f" Re-run since: {', '.join(report['rerun'])}." if report.get("rerun") else ""), "",
             "| language | passed |", "|---|---|"]
    lines += [f"| {k} | {_pct(v)} |" for k, v in report["by_language"].items()]
    lines += ["", "| class | passed |", "|---|---|"]
    lines += [f"| {k} | {_pct(v)} |" for k, v in report["by_class"].items()]
    failed = [d for d in report["dialogues"] if not d["passed"]]
    lines += ["", f"## Failures ({len(failed)})", "", "| dialogue | class | lang | first failed expectation |",
              "|---|---|---|---|"]
    for d in failed:
        first = (d["first_failure"] or "").replace("|", "\\|").replace("\n", " ")[:400]
        lines.append(f"| {d['id']} | {d['class']} | {d['language']} | {first} |")
    passed = [d["id"] for d in report["dialogues"] if d["passed"]]
    lines += ["", f"## Passed ({len(passed)})", "", ", ".join(passed) or "none", ""]
    return "\n".join(lines)


def write_reports(report: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    (out_dir / "latest.md").write_text(markdown(report), encoding="utf-8")
