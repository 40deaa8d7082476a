"""One retry loop rides out a store's outage for the tracker store and the lock store."""

from __future__ import annotations

import asyncio
import time

import pytest

from rasa_project import outage
from rasa_project.outage import through_outage


class Away(ConnectionError):
    pass


def flaky(failures: int, error=Away):
    calls = []

    def step():
        calls.append(time.monotonic())
        if len(calls) <= failures:
            raise error("store away")
        return "answer"

    return step, calls


async def test_a_transient_error_is_tried_again_until_the_store_answers(monkeypatch):
    pauses = []
    real_sleep = asyncio.sleep

    async def sleep(seconds):
        pauses.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(outage.asyncio, "sleep", sleep)
    step, calls = flaky(5)
    assert await through_outage("test", "a step", step, transient=lambda e: isinstance(e, Away),
                                outage_s=5, first_pause_s=0.01, max_pause_s=0.05) == "answer"
    assert len(calls) == 6
    assert pauses == [0.01, 0.02, 0.04, 0.05, 0.05]  # doubling, up to the cap


async def test_an_awaitable_step_is_awaited():
    async def step():
        return 42

    assert await through_outage("test", "a step", step, transient=lambda e: True, outage_s=1) == 42


async def test_an_error_that_no_retry_cures_is_raised_at_once():
    step, calls = flaky(1, ValueError)
    with pytest.raises(ValueError):
        await through_outage("test", "a step", step, transient=lambda e: isinstance(e, Away), outage_s=5)
    assert len(calls) == 1


async def test_the_outage_budget_ends_the_retries():
    step, calls = flaky(10_000)
    started = time.monotonic()
    with pytest.raises(Away):
        await through_outage("test", "a step", step, transient=lambda e: True, outage_s=0.3,
                             first_pause_s=0.02, max_pause_s=0.05)
    assert time.monotonic() - started < 0.3 + 0.2
    assert 3 <= len(calls) < 20
