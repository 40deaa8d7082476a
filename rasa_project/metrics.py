"""Prometheus metrics of our processes (issue 17 item 6), one registry per process.

The action server serves them at ``/metrics`` (beside ``/health``); the Rasa launcher serves its
process's (lock waits, lost leases, stale tracker saves, turns, the reply queue) on
``DINGK3_RASA_METRICS_PORT`` and ``dingk3 worker`` its own (worker stages, K/3 calls, outbox, pending
approvals) on ``DINGK3_WORKER_METRICS_PORT`` when set. Gauges of shared state (outbox depth and age,
pending approvals, the reply queue) are read from the database / store when scraped.
Names follow Prometheus conventions (``dingk3_`` prefix, ``_total`` counters, ``_seconds``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import start_http_server as _start_http_server
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

REGISTRY = CollectorRegistry(auto_describe=True)

ACTION_CALLS = Counter("dingk3_action_calls_total", "Action server calls by action and HTTP status",
                       ["action", "status"], registry=REGISTRY)
ACTION_LATENCY = Histogram("dingk3_action_seconds", "Action server call latency by action", ["action"],
                           registry=REGISTRY, buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
LOCK_WAITS = Counter("dingk3_lock_waits_total", "Turns that waited for their conversation's lock",
                     registry=REGISTRY)
LOCK_WAIT_SECONDS = Histogram("dingk3_lock_wait_seconds", "Time a turn waited for its conversation's lock",
                              registry=REGISTRY, buckets=(0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120))
LOST_LEASES = Counter("dingk3_lock_lost_leases_total", "Lock leases that lapsed under a running turn",
                      registry=REGISTRY)
STALE_SAVES = Counter("dingk3_tracker_stale_saves_total", "Tracker saves refused for an older fence",
                      registry=REGISTRY)
STORE_RETRIES = Counter("dingk3_store_retries_total", "Tracker/lock store calls tried again while PostgreSQL or Redis was away",
                        ["store"], registry=REGISTRY)
# issue 18: where a turn's time goes. Rasa process: nlu, policy (model graph runs), tracker (tracker
# store reads and saves), action_call (Rasa -> action server and back), ack (a DingTalk callback from
# arrival to its answer; inside it ack_replay, ack_dedupe), members (the sender's membership check,
# after the ack, at the start of the turn). Action
# server: authz (the permission gate), audit (one append, queue wait included), k3 (one WebAPI call)
TURN_STAGE_SECONDS = Histogram("dingk3_turn_stage_seconds", "Time spent in one stage of a turn", ["stage"],
                               registry=REGISTRY,
                               buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


def observe_stage(stage: str, seconds: float) -> None:
    TURN_STAGE_SECONDS.labels(stage).observe(seconds)


TURNS = Counter("dingk3_turns_total", "Chat turns started by the channel, by kind", ["kind"], registry=REGISTRY)
K3_CALLS = Counter("dingk3_k3_calls_total", "K/3 WebAPI calls by operation and outcome (ok or the error class)",
                   ["operation", "outcome"], registry=REGISTRY)
K3_LATENCY = Histogram("dingk3_k3_call_seconds", "K/3 WebAPI call latency by operation (with retries)",
                       ["operation"], registry=REGISTRY,
                       buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
WORKER_STAGE = Histogram("dingk3_worker_stage_seconds", "Time of each worker pass stage", ["stage"],
                         registry=REGISTRY, buckets=(0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120))
WORKER_STAGE_ERRORS = Counter("dingk3_worker_stage_errors_total", "Worker pass stages that failed", ["stage"],
                              registry=REGISTRY)


def observe_k3(record) -> None:
    """K/3 client observer (k3_client.client.CallRecord): count and time the call, by operation and
    as the ``k3`` stage of the turn it belongs to."""
    K3_CALLS.labels(record.operation, "ok" if record.ok else (record.error or "error")).inc()
    if record.seconds is not None:
        K3_LATENCY.labels(record.operation).observe(record.seconds)
        observe_stage("k3", record.seconds)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time one worker stage; a failing stage is counted (and its exception goes on)."""
    started = time.monotonic()
    try:
        yield
    except Exception:
        WORKER_STAGE_ERRORS.labels(name).inc()
        raise
    finally:
        WORKER_STAGE.labels(name).observe(time.monotonic() - started)


class _Gauges:
    """Gauges computed at scrape time from named sources: ``fn() -> [(name, help, value)]``."""

    def __init__(self) -> None:
        self.sources: dict[str, Callable[[], list[tuple[str, str, float]]]] = {}
        self._lock = threading.Lock()

    def collect(self):
        with self._lock:
            sources = list(self.sources.items())
        for key, source in sources:
            try:
                rows = source()
            except Exception:  # a database or Redis outage must not break the whole scrape
                log.warning("metrics: %s unavailable", key, exc_info=True)
                continue
            for name, help_, value in rows:
                yield GaugeMetricFamily(name, help_, value=value)

    def watch(self, key: str, source: Callable[[], list[tuple[str, str, float]]]) -> None:
        with self._lock:
            self.sources[key] = source


GAUGES = _Gauges()
REGISTRY.register(GAUGES)


def watch_database(Session, now: Callable[[], float] = time.time) -> None:
    """Outbox depth and age and pending approvals, read from the shared database when scraped."""
    from sqlalchemy import text

    def source() -> list[tuple[str, str, float]]:
        with Session() as s:
            depth, oldest = s.execute(text(
                "SELECT COUNT(*), MIN(created_at) FROM notifications WHERE state IN ('pending', 'sending')")).one()
            approvals = s.execute(text(
                "SELECT COUNT(*) FROM change_requests WHERE state = 'pending_approval'")).scalar_one()
            oa = s.execute(text("SELECT COUNT(*) FROM oa_approvals WHERE state IN ('starting', 'pending')")
                           ).scalar_one()
        age = 0.0
        if oldest is not None:
            if isinstance(oldest, str):  # SQLite hands back text
                from datetime import datetime

                oldest = datetime.fromisoformat(oldest)
            if oldest.tzinfo is None:
                from datetime import timezone

                oldest = oldest.replace(tzinfo=timezone.utc)
            age = max(0.0, now() - oldest.timestamp())
        return [
            ("dingk3_outbox_depth", "Notifications waiting to be sent (pending or sending)", float(depth)),
            ("dingk3_outbox_oldest_age_seconds", "Age of the oldest notification waiting", age),
            ("dingk3_pending_approvals", "Change requests waiting for a manager", float(approvals)),
            ("dingk3_pending_oa_approvals", "DingTalk OA approvals running", float(oa)),
        ]

    GAUGES.watch("database", source)


def watch_reply_queue(store) -> None:
    """The channel's reply queue (connectors/reply_queue.py ``stats()``), shared by the replicas."""

    def source() -> list[tuple[str, str, float]]:
        depth, age = store.stats()
        return [("dingk3_reply_queue_depth", "Replies waiting to be sent to DingTalk", float(depth)),
                ("dingk3_reply_queue_oldest_age_seconds", "Age of the oldest reply waiting", float(age))]

    GAUGES.watch("reply_queue", source)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def serve(port: int, host: str = "127.0.0.1") -> None:
    """Serve this process's metrics on their own port (a daemon thread)."""
    _start_http_server(port, addr=host, registry=REGISTRY)
