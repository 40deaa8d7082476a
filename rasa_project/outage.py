"""Riding out a store's outage: one retry loop for the tracker store (PostgreSQL) and the lock
store (Redis).

A store that restarts or a network blip should delay a turn, not fail it. ``through_outage`` calls
``step`` again, with doubling pauses, while the error is one that a later try can cure
(``transient``), for at most ``outage_s``; any other error, or the deadline, raises at once.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable

from rasa_project import metrics

log = logging.getLogger(__name__)


async def through_outage(store: str, what: str, step: Callable, *, transient: Callable[[BaseException], bool],
                         outage_s: float, first_pause_s: float = 0.1, max_pause_s: float = 2.0):
    """``step()`` (awaited when it returns an awaitable), tried again while ``transient(error)``.

    ``store`` labels the retry counter (``dingk3_store_retries_total{store=…}``) and the warning."""
    deadline = time.monotonic() + outage_s
    pause = first_pause_s
    while True:
        try:
            result = step()
            if inspect.isawaitable(result):
                result = await result
            return result
        except Exception as error:
            if not transient(error) or time.monotonic() + pause > deadline:
                raise
            log.warning("%s store: %s failed (%s); trying again in %.2fs", store, what, type(error).__name__, pause)
            metrics.STORE_RETRIES.labels(store).inc()
            await asyncio.sleep(pause)
            pause = min(pause * 2, max_pause_s)
