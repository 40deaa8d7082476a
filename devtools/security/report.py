"""reports/security/latest.json and latest.md: per attack class, how many tried, how many accepted."""

from __future__ import annotations

import json
from pathlib import Path

CHECK_NAMES = {
    "k3_unchanged": "K/3 (every production order and output report, official SDK) unchanged",
    "audit_chain_verifies": "audit chain verifies",
    "audit_records_before_unchanged": "every audit record written before the attacks is unchanged",
    "audit_no_k3_write_added": "no K/3 write recorded in the trail during the attacks",
    "audit_no_decision_added": "no change request decided during the attacks",
    "audit_anchors_hold": "the trail matches its signed anchors",
}


def markdown(report: dict) -> str:
    lines = [
        "# Attack suite (`make security`)",
        "",
        f"Whole system on loopback, {report['attempts_per_class']}+ attempts per class, "
        f"{report['duration_s']} s. Accepted must be 0 everywhere; errors are 5xx answers, timeouts or "
        "internal-error replies (not accepted, but not clean). Logs: `" + report["logs"] + "`.",
        "",
        "| class | tried | accepted | errors | how they were answered |",
        "|---|---:|---:|---:|---|",
    ]
    for c in report["classes"]:
        if c["status"] == "pending":
            lines.append(f"| {c['title']} | pending | pending | – | {c['note']} |")
            continue
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(c["outcomes"].items(), key=lambda kv: -kv[1])[:6])
        lines.append(f"| {c['title']} | {c['tried']} | **{c['accepted']}** | {c['errors']} | {answers} |")
    lines += ["", "## Afterwards", ""]
    for key, title in CHECK_NAMES.items():
        lines.append(f"- {'✅' if report['checks'].get(key) else '❌'} {title}")
    details = report["checks"].get("details", {})
    lines.append(f"- audit records: {details.get('records_before')} before, {details.get('records_after')} after "
                 "(the new ones are the suite's own ordinary turns and the refusals they got); "
                 f"anchors checked: {details.get('anchors')}")
    lines += ["", "## Notes", ""]
    for c in report["classes"]:
        lines.append(f"- **{c['title']}**: {c['note']}")
        for example in c.get("accepted_examples") or []:
            lines.append(f"  - accepted: {example}")
    lines += ["", "## Settings in force", "", "```json", json.dumps(report["settings"], indent=2, ensure_ascii=False),
              "```", ""]
    return "\n".join(lines)


def write_reports(report: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out_dir / "latest.md").write_text(markdown(report), encoding="utf-8")
