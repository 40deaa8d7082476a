"""The background jobs: approval reminders and escalation, expiry, crash recovery, outbox retries.

``Worker.tick(now)`` is one pass, idempotent (several workers may tick at once: every state move
is a conditional UPDATE and every send has a dedupe key in the outbox); ``start()`` runs it every
``settings.approval_worker_interval_s`` in a daemon thread. Each stage is timed for /metrics
(``dingk3_worker_stage_seconds{stage=…}``, failures in ``dingk3_worker_stage_errors_total``). The action server starts one thread
(``Wiring.start_worker``); ``dingk3 worker`` (``worker_cli.py``) runs it as its own process. New periodic jobs (the
delay-risk warnings) are one more step of ``tick``: ``DelayRisk.tick`` re-evaluates once per
business-clock slot and posts the daily digest.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from rasa_project.clock import utc_now
from rasa_project.metrics import stage

if TYPE_CHECKING:
    from rasa_project.ordering.approval_desk import ApprovalDesk
    from rasa_project.ordering.delay_risk import DelayRisk
    from rasa_project.ordering.oa_approvals import OaApprovals
    from rasa_project.ordering.service import WorkflowService

log = logging.getLogger(__name__)


@dataclass
class TickResult:
    reminded: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    drafts_resumed: list[int] = field(default_factory=list)  # confirmed new orders whose write a crash interrupted
    risk: list[str] = field(default_factory=list)  # "P20250401 on_track->late" per announced change
    sent: int = 0
    oa: dict = field(default_factory=dict)


class Worker:
    def __init__(
        self,
        settings,
        workflow: WorkflowService,
        desk: ApprovalDesk,
        *,
        now: Callable[[], datetime] = utc_now,
        oa: OaApprovals | None = None,
        risk: DelayRisk | None = None,
    ) -> None:
        self.settings, self.workflow, self.desk, self.now = settings, workflow, desk, now
        self.oa = oa  # the OA approvals (issue 14): events from the inbox, polling, reminders, expiry
        self.risk = risk  # delay-risk warnings and the daily digest (issue 15)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self, now: datetime | None = None) -> TickResult:
        now = now or self.now()
        result = TickResult()
        with stage("expire"):
            for change in self.workflow.expire_due(now):
                result.expired.append(change.ref)
                self.desk.announce(self.workflow.describe(change))
                self.desk.record("approval_expired", actor="system", change=change)
        with stage("remind"):
            for change in self.workflow.due_reminders(now):
                self.desk.remind(change, now)
                self.workflow.mark_reminded(change.ref, now)
                result.reminded.append(change.ref)
        with stage("resume"):
            for outcome in self.workflow.resume_all():
                if outcome.value is not None:
                    result.resumed.append(outcome.value.ref)
                self.desk.announce(outcome)
            for draft, outcome in self.workflow.resume_drafts():
                result.drafts_resumed.append(draft.id)
                self.desk.tell_resumed_draft(draft, outcome)
        if self.oa is not None:
            try:
                with stage("oa"):
                    result.oa = self.oa.tick(now)
            except Exception:  # DingTalk or K/3 down: the OA steps run again next pass
                log.exception("OA approval pass failed")
        if self.risk is not None:
            try:  # K/3 down for the risk read must not stop reminders, expiry or the outbox
                with stage("risk"):
                    result.risk = [f"{t.bill_no} {t.before}->{t.after}" for t in self.risk.tick()]
            except Exception:
                log.exception("delay-risk step failed")
        with stage("outbox"):
            result.sent = self.desk.outbox.flush(now)
        return result

    def start(self) -> Worker:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="dingk3-worker", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def join(self, timeout_s: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        interval = max(1.0, float(self.settings.approval_worker_interval_s))
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # one bad pass (K/3 or DingTalk down) must not end the loop
                log.exception("worker pass failed")
            self._stop.wait(interval)
