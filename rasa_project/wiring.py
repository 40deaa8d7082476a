"""The composition root: every process-wide collaborator, built from one ``Settings``.

``Wiring(settings)`` builds each collaborator on first use and keeps it: ONE audited K/3 client
(its observer writes every WebAPI call to the audit trail), the audit trail, the directory and the
authorizer, the workflow, the DingTalk client and the notification outbox, output reports, the
approval desk, the background worker and the chat use cases the actions call. Nothing connects at
import time or when a ``Wiring`` is made.

``current()`` is the instance of this process (action server, ``dingk3 worker``, CLI) for
``get_settings()``; tests build their own ``Wiring(settings, k3_transport=..., now=...)``. The
adapters (``k3_client``, ``dingtalk_client``) read no settings: ``k3_config`` / ``dingtalk_config``
turn ours into their plain config values here, and nowhere else.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from dingtalk_client.config import DingTalkConfig
from k3_client.config import K3Config
from rasa_project.clock import utc_now
from rasa_project.settings import Settings, get_settings

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from dingtalk_client.openapi import DingTalkOpenAPI
    from dingtalk_client.workflow import WorkflowClient
    from k3_client.client import K3Client
    from rasa_project.audit.anchor import AnchorWorker
    from rasa_project.audit.trail import AuditTrail
    from rasa_project.authz.directory import LdapDirectory
    from rasa_project.authz.service import Authorizer
    from rasa_project.chat.access import Access
    from rasa_project.chat.use_cases import ChatUseCases
    from rasa_project.mapping import MappingTables
    from rasa_project.notify.outbox import NotificationOutbox
    from rasa_project.oa.inbox import Inbox
    from rasa_project.ordering.approval_desk import ApprovalDesk
    from rasa_project.ordering.delay_risk import DelayRisk
    from rasa_project.ordering.oa_approvals import OaApprovals
    from rasa_project.ordering.reports import OutputReports
    from rasa_project.ordering.service import WorkflowService
    from rasa_project.worker import Worker


def k3_config(settings: Settings) -> K3Config:
    return K3Config(
        base_url=settings.k3_base_url,
        acct_id=settings.k3_acct_id,
        user=settings.k3_user,
        password=settings.k3_password.get_secret_value(),
        app_id=settings.k3_app_id,
        app_secret=settings.k3_app_secret.get_secret_value(),
        lcid=settings.k3_lcid,
        login_mode=settings.k3_login_mode,
        timeout_s=settings.k3_timeout_s,
        retries=settings.k3_retries,
    )


def dingtalk_config(settings: Settings) -> DingTalkConfig:
    return DingTalkConfig(
        app_key=settings.dingtalk_app_key,
        app_secret=settings.dingtalk_app_secret.get_secret_value(),
        robot_code=settings.dingtalk_robot_code,
        openapi_url=settings.dingtalk_openapi_url,
        mode=settings.dingtalk_mode,
    )


def workflow_config(settings: Settings):
    from dingtalk_client.workflow import WorkflowConfig

    return WorkflowConfig(base_url=settings.dingtalk_openapi_url, process_code=settings.dingtalk_approval_process_code)


class _Late:
    """A collaborator built on first use (the workflow and the OA approvals refer to each other)."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build

    def __getattr__(self, name: str) -> Any:
        return getattr(self._build(), name)


class Wiring:
    """The collaborators of one process, each built once (thread-safe) on first use."""

    def __init__(
        self,
        settings: Settings,
        *,
        k3_transport: Any = None,
        dingtalk_transport: Any = None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.now = now  # wall clock (UTC) of the workflow, outbox, desk and worker
        self._k3_transport = k3_transport
        self._dingtalk_transport = dingtalk_transport
        self._built: dict[str, Any] = {}
        self._lock = threading.RLock()
        self._worker_started = False

    def _once(self, name: str, build: Callable[[], Any]) -> Any:
        with self._lock:
            if name not in self._built:
                self._built[name] = build()
            return self._built[name]

    # -- storage, time, tables ----------------------------------------------------------------
    @property
    def sessionmaker(self):
        from rasa_project.db import get_sessionmaker

        return self._once("sessionmaker", lambda: get_sessionmaker(self.settings.sqlalchemy_url))

    @property
    def clock(self):
        from rasa_project.clock import clock_from

        return self._once("clock", lambda: clock_from(self.settings))

    @property
    def mapping(self) -> MappingTables:
        """The mapping tables as they are on disk now (reloaded when a YAML file changes)."""
        from rasa_project.mapping import get_mapping

        return get_mapping(self.settings.mapping_dir)

    # -- audit, people ------------------------------------------------------------------------
    @property
    def audit(self) -> AuditTrail:
        from rasa_project.audit.redaction import secrets_of
        from rasa_project.audit.trail import AuditTrail

        return self._once("audit", lambda: AuditTrail(self.sessionmaker, secrets=secrets_of(self.settings),
                                                      outage_s=self.settings.store_outage_s))

    @property
    def anchors(self) -> AnchorWorker:
        """The audit trail's outside anchors: the chain head exported, signed, on a schedule (issue 20)."""
        from rasa_project.audit.anchor import AnchorWorker

        return self._once("anchors", lambda: AnchorWorker(self.settings, self.audit, openapi=self.dingtalk, now=self.now))

    @property
    def review(self):
        """The trainers' review desk: the inbox of misunderstood messages and annotation (issue 19)."""
        from rasa_project.review.service import ReviewDesk

        return self._once("review", lambda: ReviewDesk(
            trail=self.audit, root=self.settings.project_root, min_confidence=self.settings.review_min_confidence,
            window_days=self.settings.review_window_days, now=self.now))

    @property
    def directory(self) -> LdapDirectory:
        from rasa_project.authz.directory import LdapDirectory

        return self._once("directory", lambda: LdapDirectory(self.settings))

    @property
    def authorizer(self) -> Authorizer:
        from rasa_project.authz.service import Authorizer

        return self._once("authorizer", lambda: Authorizer(self.settings, directory=self.directory))

    @property
    def access(self) -> Access:
        from rasa_project.chat.access import Access

        return self._once("access", lambda: Access(self.authorizer, self.audit))

    # -- the outside world --------------------------------------------------------------------
    @property
    def k3(self) -> K3Client:
        """The one K/3 client of the process; every call it makes lands in the audit trail."""
        from k3_client.client import K3Client
        from rasa_project.chat.access import K3CallAudit

        return self._once(
            "k3",
            lambda: K3Client(
                k3_config(self.settings), transport=self._k3_transport,
                observer=_measured(K3CallAudit(self.audit)),
            ),
        )

    @property
    def dingtalk(self) -> DingTalkOpenAPI:
        from dingtalk_client.openapi import DingTalkOpenAPI

        return self._once(
            "dingtalk", lambda: DingTalkOpenAPI(dingtalk_config(self.settings), transport=self._dingtalk_transport)
        )

    @property
    def outbox(self) -> NotificationOutbox:
        from dingtalk_client.origins import ReplyOrigins
        from rasa_project.notify.outbox import NotificationOutbox

        return self._once(
            "outbox",
            lambda: NotificationOutbox(
                self.sessionmaker, self.dingtalk, now=self.now, retry_max_s=self.settings.notify_retry_max_s,
                webhooks=self.session_webhooks,
                allow_webhook=ReplyOrigins(self.settings.dingtalk_reply_origins).allows,
                outage_s=self.settings.store_outage_s,
            ),
        )

    @property
    def session_webhooks(self):
        """Each group's newest sessionWebhook (written by the channel): notices that really @."""
        from rasa_project.notify.session_webhooks import SessionWebhooks

        return self._once("session_webhooks", lambda: SessionWebhooks(self.sessionmaker))

    # -- the business -------------------------------------------------------------------------
    @property
    def workflow(self) -> WorkflowService:
        from rasa_project.ordering.service import WorkflowService

        def build() -> WorkflowService:
            service = WorkflowService(self.k3, self.mapping, self.clock, self.sessionmaker, self.settings, now=self.now)
            # a confirmed new order waits in K/3 status B for its OA approval (issue 14)
            service.order_approvals = _Late(lambda: self.oa_approvals)
            return service

        return self._once("workflow", build)

    @property
    def output_reports(self) -> OutputReports:
        from rasa_project.ordering.reports import OutputReports

        return self._once(
            "output_reports",
            lambda: OutputReports(
                self.k3, self.mapping, self.clock, self.sessionmaker, self.settings, now=self.now,
                outbox=self.outbox, audit=self.audit,
            ),
        )

    @property
    def desk(self) -> ApprovalDesk:
        from rasa_project.ordering.approval_desk import ApprovalDesk

        return self._once(
            "desk",
            lambda: ApprovalDesk(
                self.settings, self.workflow, self.outbox, directory=self.directory, authorizer=self.authorizer,
                audit=self.audit, now=self.now,
            ),
        )

    @property
    def workflow_client(self) -> WorkflowClient:
        """DingTalk's OA approval API (start, get, terminate), on the OpenAPI client's token."""
        from dingtalk_client.workflow import WorkflowClient

        return self._once("workflow_client", lambda: WorkflowClient(workflow_config(self.settings), self.dingtalk,
                                                                    transport=self._dingtalk_transport))

    @property
    def inbox(self) -> Inbox:
        """The durable inbox of DingTalk OA events (the channel writes it, the worker reads it)."""
        from rasa_project.db import get_engine
        from rasa_project.oa.inbox import Inbox

        return self._once("inbox", lambda: Inbox(get_engine(self.settings.sqlalchemy_url),
                                                 lease_s=self.settings.oa_inbox_lease_s))

    @property
    def oa_approvals(self) -> OaApprovals:
        """New orders (and held changes with approval_channel=oa) through DingTalk OA approval."""
        from rasa_project.ordering.oa_approvals import OaApprovals

        def build() -> OaApprovals:
            approvals = OaApprovals(self.settings, self.workflow, self.desk, self.workflow_client, self.inbox,
                                    now=self.now)
            self.desk.oa = approvals
            return approvals

        return self._once("oa_approvals", build)

    @property
    def worker(self) -> Worker:
        from rasa_project.worker import Worker

        return self._once("worker", lambda: Worker(self.settings, self.workflow, self.desk, now=self.now,
                                                   oa=self.oa_approvals, risk=self.risk))

    @property
    def risk(self) -> DelayRisk:
        """Delay risk over the live factory state: chat answers, PMC warnings, the digest (issue 15)."""
        from rasa_project.ordering.delay_risk import DelayRisk

        def build() -> DelayRisk:
            risk = DelayRisk(self.k3, lambda: self.mapping, self.clock, self.sessionmaker, self.settings,
                             self.outbox, now=self.now, audit=self.audit)  # fmt: skip
            self.output_reports.on_reported.append(risk.after_report)  # re-evaluate after every report
            return risk

        return self._once("risk", build)

    def start_worker(self) -> Worker | None:
        """Run the worker's thread in this process, once (no-op when the interval setting is 0)."""
        if float(self.settings.approval_worker_interval_s) <= 0:
            return None
        with self._lock:
            if not self._worker_started:
                # delay risk (CP-SAT solves) is the `dingk3 worker` process's job: a solve must not
                # slow this process's replies or hold up its shutdown
                self.worker.risk = None
                self.worker.start()
                self._worker_started = True
        return self.worker

    @property
    def chat(self) -> ChatUseCases:
        """What the actions call: one use case per thing a person asks for."""
        from rasa_project.chat.use_cases import ChatUseCases

        return self._once(
            "chat",
            lambda: ChatUseCases(
                access=self.access,
                workflow=self.workflow,
                reports=self.output_reports,
                desk=self.desk,
                k3=self.k3,
                tables=lambda: self.mapping,
                clock=self.clock,
                start_worker=self.start_worker,
                risk=self.risk,
            ),
        )

    def close(self) -> None:
        """Stop the worker and close the HTTP clients this wiring built (tests, shutdown)."""
        with self._lock:
            built = dict(self._built)
        if "worker" in built:
            built["worker"].stop()
        if "k3" in built:
            built["k3"].close()
        if "workflow_client" in built:
            built["workflow_client"].close()
        if "dingtalk" in built:
            built["dingtalk"].close()


_current: Wiring | None = None
_current_lock = threading.Lock()


def current() -> Wiring:
    """This process's wiring, for the settings ``get_settings()`` returns now."""
    global _current
    settings = get_settings()
    with _current_lock:
        if _current is None or _current.settings is not settings:
            _current = Wiring(settings)
        return _current


def observe_action(action: str, status: int, seconds: float) -> None:
    """Count one action server call for /metrics (issue 17 item 6)."""
    from rasa_project import metrics

    metrics.ACTION_CALLS.labels(action, str(status)).inc()
    metrics.ACTION_LATENCY.labels(action).observe(seconds)


def observe_stage(stage: str, seconds: float) -> None:
    """Time of one stage of a turn for /metrics (issue 18: where the time goes)."""
    from rasa_project import metrics

    metrics.observe_stage(stage, seconds)


def metrics_exposition() -> tuple[bytes, str]:
    """This process's Prometheus metrics and their content type."""
    from rasa_project import metrics

    if "database" not in metrics.GAUGES.sources:  # outbox depth and age, pending approvals
        metrics.watch_database(current().sessionmaker)
    return metrics.exposition()


def _measured(audit):
    """The K/3 client's observer: each call counted and timed for /metrics and logged, then audited."""
    from rasa_project import metrics

    def observe(record) -> None:
        metrics.observe_k3(record)
        log.info("K/3 %s %s %s in %.0f ms", record.operation, record.form_id, "ok" if record.ok else record.error,
                 (record.seconds or 0) * 1000)
        audit(record)

    return observe


def request_id_from(value) -> str | None:
    """Set the chat message's request id for this action call (actions reach the core through wiring)."""
    from rasa_project import logs

    rid = logs.clean(value)
    if rid:
        logs.REQUEST_ID.set(rid)
    return rid


def install_request_ids(settings, service: str) -> None:
    from rasa_project import logs

    logs.install(settings, service)
