"""Waiting in tests: poll a condition up to a deadline, never a bare sleep, and fail saying what was awaited."""

from __future__ import annotations

import asyncio
import time


def wait_until(condition, timeout_s: float = 10.0, *, what: str = "the condition", interval_s: float = 0.02):
    """``condition()``'s first truthy value; an AssertionError naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval_s)
    raise AssertionError(f"{what} not met within {timeout_s}s")


async def async_wait_until(condition, timeout_s: float = 10.0, *, what: str = "the condition",
                           interval_s: float = 0.02):
    """The same inside an event loop; ``condition`` may return an awaitable."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        await asyncio.sleep(interval_s)
    raise AssertionError(f"{what} not met within {timeout_s}s")
