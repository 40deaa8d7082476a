"""Revocations and lockouts outlive the process that made them: a new SessionSigner / LoginThrottle
over the same SQLite file (a restarted web server) or the same Redis (another replica) still refuses
the logged-out cookie and the locked name; entries are forgotten once they expired."""

from __future__ import annotations

import uuid

import pytest

from rasa_project.web.security import LoginThrottle, SessionSigner
from rasa_project.web.state import RedisWebState, SQLiteWebState


def _pair(state, clock):
    signer = SessionSigner("k", ttl_s=60, now=lambda: clock[0], state=state)
    throttle = LoginThrottle(delay_after=2, lockout_after=3, lockout_s=120, now=lambda: clock[0], state=state)
    return signer, throttle


def _check(make_state):
    clock = [1_000_000.0]
    signer, throttle = _pair(make_state(clock), clock)
    session, cookie = signer.issue(staff_id="manager0001", name="王丽", roles={"managers"}, work_centers=None,
                                   lang="zh", via="ldap")
    _other, kept = signer.issue(staff_id="manager0001", name="王丽", roles={"managers"}, work_centers=None,
                                lang="zh", via="ldap")
    signer.revoke(session)
    assert [throttle.failed("Zhang.Wei") for _ in range(3)] == [False, False, True]
    throttle.failed("siti.rahma")

    signer, throttle = _pair(make_state(clock), clock)  # "after the restart"
    assert signer.load(cookie) is None and signer.load(kept) is not None
    assert throttle.locked("zhang.wei") and not throttle.locked("siti.rahma")
    assert throttle.delay_s("siti.rahma") == 0.0 and not throttle.failed("siti.rahma")
    assert throttle.delay_s("siti.rahma") == 1.0  # two failures counted across the restart
    throttle.succeeded("siti.rahma")
    assert throttle.delay_s("siti.rahma") == 0.0
    clock[0] += 121
    assert not throttle.locked("zhang.wei") and not throttle.failed("zhang.wei")  # lock over, count starts again


def test_sqlite_state_survives_a_new_process(tmp_path):
    _check(lambda clock: SQLiteWebState(tmp_path / "web_state.db", clock=lambda: clock[0]))


@pytest.mark.redis
def test_redis_state_is_shared_by_replicas():
    from tests.requirements import need

    need("redis")
    prefix = f"dingk3:test:web:{uuid.uuid4().hex}:"
    states = []

    def make(clock):
        # Redis expires keys on its own clock: the test clock starts at the real time here
        state = RedisWebState("redis://127.0.0.1:6379/0", prefix=prefix, clock=lambda: clock[0])
        states.append(state)
        return state

    import time

    clock = [time.time()]
    signer, throttle = _pair(make(clock), clock)
    session, cookie = signer.issue(staff_id="manager0001", name="王丽", roles={"managers"}, work_centers=None,
                                   lang="zh", via="ldap")
    signer.revoke(session)
    assert [throttle.failed("zhang.wei") for _ in range(3)] == [False, False, True]
    signer, throttle = _pair(make(clock), clock)
    assert signer.load(cookie) is None and throttle.locked("zhang.wei")
    ttl = states[0]._redis.ttl(f"{prefix}revoked:{session.sid}")
    assert 0 < ttl <= 61  # kept only as long as the cookie is valid
    for key in states[0]._redis.scan_iter(prefix + "*"):
        states[0]._redis.delete(key)
