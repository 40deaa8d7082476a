"""Report files: ``<kind>-<timestamp>.json`` (everything measured) and ``.md`` (for people)."""

from __future__ import annotations

import json
import os
import platform
from datetime import datetime
from pathlib import Path

from rasa_project.clock import utc_now


def stop_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so the stack's services are stopped on the way out."""
    import signal
    import sys

    signal.signal(signal.SIGTERM, lambda _signo, _frame: sys.exit(143))


def machine() -> dict:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def write_report(kind: str, payload: dict, markdown: str, out_dir: Path, *, now: datetime | None = None) -> tuple[Path, Path]:
    stamp = (now or utc_now()).strftime("%Y%m%dT%H%M%SZ")
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / f"{kind}-{stamp}.json", out_dir / f"{kind}-{stamp}.md"
    json_path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    md_path.write_text(markdown, encoding="utf-8")
    return json_path, md_path


def latency_row(name: str, summary: dict) -> str:
    if not summary.get("n"):
        return f"| {name} | 0 | – | – | – |"
    return f"| {name} | {summary['n']} | {summary['p50_ms']} | {summary['p95_ms']} | {summary['max_ms']} |"


LATENCY_HEADER = ["| what | n | p50 ms | p95 ms | max ms |", "|---|---|---|---|---|"]
