"""Prometheus metrics of our processes (issue 17 item 6), one registry per process.

The action server serves them at ``/metrics`` (beside ``/health``); the Rasa launcher serves its
process's (lock waits, lost leases, stale tracker saves) on ``DINGK3_RASA_METRICS_PORT`` when set.
Names follow Prometheus conventions (``dingk3_`` prefix, ``_total`` counters, ``_seconds``).
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import start_http_server as _start_http_server

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
# issue 18: where a turn's time goes. Rasa process: nlu, policy (model graph runs), tracker (tracker
# store reads and saves), action_call (Rasa -> action server and back), ack (a DingTalk callback from
# arrival to its answer; inside it ack_replay, ack_members, ack_dedupe). Action
# server: authz (the permission gate), audit (one append, queue wait included), k3 (one WebAPI call)
TURN_STAGE_SECONDS = Histogram("dingk3_turn_stage_seconds", "Time spent in one stage of a turn", ["stage"],
                               registry=REGISTRY,
                               buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


def observe_stage(stage: str, seconds: float) -> None:
    TURN_STAGE_SECONDS.labels(stage).observe(seconds)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def serve(port: int, host: str = "127.0.0.1") -> None:
    """Serve this process's metrics on their own port (a daemon thread)."""
    _start_http_server(port, addr=host, registry=REGISTRY)
