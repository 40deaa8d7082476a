"""A redelivered message id is accepted exactly once within the TTL."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from connectors.dedupe import RedisDedupe, SQLiteDedupe, make_dedupe_store


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_sqlite_first_seen_once_then_again_after_ttl(tmp_path):
    clock = FakeClock()
    store = SQLiteDedupe(tmp_path / "d.db", ttl_s=600, clock=clock)
    assert store.first_seen("msg:a") is True
    assert store.first_seen("msg:a") is False
    assert store.first_seen("msg:b") is True
    clock.now += 601
    assert store.first_seen("msg:a") is True


def test_sqlite_survives_a_restart(tmp_path):
    SQLiteDedupe(tmp_path / "d.db", ttl_s=600).first_seen("msg:a")
    assert SQLiteDedupe(tmp_path / "d.db", ttl_s=600).first_seen("msg:a") is False


def test_sqlite_concurrent_redeliveries_win_once(tmp_path):
    store = SQLiteDedupe(tmp_path / "d.db", ttl_s=600)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: store.first_seen("msg:same"), range(32)))
    assert results.count(True) == 1


def test_store_choice_follows_settings(settings):
    assert isinstance(make_dedupe_store(settings), SQLiteDedupe)
    settings.redis_url = "redis://127.0.0.1:6379/0"
    assert isinstance(make_dedupe_store(settings), RedisDedupe)


@pytest.mark.redis
def test_redis_set_nx_ex():
    store = RedisDedupe("redis://127.0.0.1:6379/0", ttl_s=5, prefix=f"dingk3:test:{uuid.uuid4().hex}:")
    assert store.first_seen("msg:a") is True
    assert store.first_seen("msg:a") is False
    ttl = store._redis.ttl(store.prefix + "msg:a")
    assert 0 < ttl <= 5
    store._redis.delete(store.prefix + "msg:a")
