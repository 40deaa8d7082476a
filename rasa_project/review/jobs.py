"""A retrain started from the trainer page, run in the background: no request waits for it.

The job is ``dingk3 review retrain --no-switch`` in its own process (training and scoring two models
take minutes and gigabytes; the web process stays small and keeps answering). Everything it leaves
is on disk under ``var_dir/review/retrain/<id>/``: ``job.json`` (who, when), ``log.txt`` (its
output, the page's progress), ``errors.txt`` (library logs and warnings; shown when it failed), ``compare.json`` / ``compare.md`` (the report) and ``exit`` (its exit
code: 0 compared, 3 worse on some set, anything else failed). So the page shows the last report
after a restart too. Switching is a separate, explicit step (``rollout.switch``).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

EXIT_WORSE = 3
_EPOCH = re.compile(r"Epochs:\s+\d+%\S*\s*\|[^|]*\|\s*(\d+)/(\d+)")


@dataclass
class JobState:
    id: str
    by: str
    started: float  # unix seconds
    running: bool
    exit_code: int | None
    log: list[str]
    report: dict | None  # compare.json, once written
    epoch: tuple[int, int] | None = None  # while training: (done, of) from Rasa's progress bar

    @property
    def stage(self) -> str:
        """training | comparing | done | worse | unchanged | failed"""
        if self.running:
            return "comparing" if any(line.startswith("model: ") for line in self.log) else "training"
        if self.exit_code == EXIT_WORSE:
            return "worse"
        if self.exit_code == 0:
            return "done" if self.report else "unchanged"
        return "failed"


class RetrainJobs:
    """At most one retrain at a time, per web process; state read back from disk."""

    def __init__(self, settings, *, command: list[str] | None = None) -> None:
        self.settings = settings
        self.base = Path(settings.var_dir) / "review" / "retrain"
        self.command = command or [sys.executable, "-m", "rasa_project.cli"]
        self._lock = threading.Lock()
        self._running: dict[str, subprocess.Popen] = {}

    def _dir(self, job_id: str) -> Path:
        return self.base / job_id

    def start(self, by: str) -> str | None:
        """Start a retrain for ``by``; None if one is already running."""
        with self._lock:
            if any(p.poll() is None for p in self._running.values()):
                return None
            now = time.time_ns()  # the name sorts in start order: second, then nanoseconds within it
            job_id = time.strftime("%Y%m%d-%H%M%S", time.localtime(now // 1_000_000_000)) + f"-{now % 1_000_000_000:09d}"
            folder = self._dir(job_id)
            folder.mkdir(parents=True)
            (folder / "job.json").write_text(json.dumps({"by": by, "started": time.time()}), encoding="utf-8")
            log = open(folder / "log.txt", "w", encoding="utf-8")  # noqa: SIM115 - closed by the waiter
            errors = open(folder / "errors.txt", "w", encoding="utf-8")  # noqa: SIM115 - library logs, warnings
            proc = subprocess.Popen(
                [*self.command, "review", "retrain", "--no-switch", "--by", by, "--report", str(folder)],
                stdout=log, stderr=errors, stdin=subprocess.DEVNULL, cwd=str(self.settings.project_root),
                env={**os.environ, "PYTHONUNBUFFERED": "1"},  # the page shows its progress as it goes
            )
            self._running[job_id] = proc

        def wait() -> None:
            code = proc.wait()
            log.close()
            errors.close()
            (folder / "exit").write_text(str(code), encoding="utf-8")

        threading.Thread(target=wait, name=f"retrain-{job_id}", daemon=True).start()
        return job_id

    def latest(self) -> JobState | None:
        if not self.base.exists():
            return None
        jobs = sorted(p.name for p in self.base.iterdir() if (p / "job.json").exists())
        return self.state(jobs[-1]) if jobs else None

    def state(self, job_id: str) -> JobState | None:
        folder = self._dir(job_id)
        if not (folder / "job.json").exists() or "/" in job_id or job_id.startswith("."):
            return None
        meta = json.loads((folder / "job.json").read_text(encoding="utf-8"))
        exit_file = folder / "exit"
        code = int(exit_file.read_text()) if exit_file.exists() else None
        proc = self._running.get(job_id)
        if code is None and proc is not None and proc.poll() is not None:
            code = proc.returncode  # finished; the waiter is writing ``exit``
        running = code is None and proc is not None
        if code is None and not running and proc is None:
            code = -1  # started by a web process that is gone: it did not finish
        log_path = folder / "log.txt"
        lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines() if log_path.exists() else []
        errors_path = folder / "errors.txt"
        if code not in (None, 0, EXIT_WORSE) and errors_path.exists():  # failed: the end of what went wrong
            lines += errors_path.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        report_path = folder / "compare.json"
        report = json.loads(report_path.read_text(encoding="utf-8")) if code is not None and report_path.exists() else None
        return JobState(job_id, meta.get("by", ""), float(meta.get("started", 0)), running, code,
                        [line for line in lines if line.strip()][-40:], report,
                        self._epoch() if running else None)

    def _epoch(self) -> tuple[int, int] | None:
        """How far DIET's training is: the last progress bar in the training log (var/logs/train.log)."""
        path = Path(self.settings.var_dir) / "logs" / "train.log"
        if not path.exists():
            return None
        with open(path, "rb") as f:
            f.seek(max(0, path.stat().st_size - 8192))
            tail = f.read().decode("utf-8", "replace")
        found = _EPOCH.findall(tail)
        return (int(found[-1][0]), int(found[-1][1])) if found else None

    def stop(self) -> None:
        """Stop a running job (the web app shuts down)."""
        with self._lock:
            for proc in self._running.values():
                if proc.poll() is None:
                    proc.terminate()
