"""Riding out a store's outage: one retry loop for the tracker store (PostgreSQL), the lock
store (Redis) and the notification outbox (its database).

A store that restarts or a network blip should delay a turn, not fail it. ``through_outage`` calls
``step`` again, with doubling pauses, while the error is one that a later try can cure
(``transient``), for at most ``outage_s``; any other error, or the deadline, raises at once.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable, Iterator

from rasa_project import metrics

log = logging.getLogger(__name__)


def connection_lost(error: BaseException) -> bool:
    """A database error that a later try can cure: the server went away or refused us (not SQL
    that is wrong, nor a constraint)."""
    import sqlalchemy as sa

    if isinstance(error, sa.exc.DBAPIError):
        return bool(error.connection_invalidated) or isinstance(error, (sa.exc.OperationalError,
                                                                         sa.exc.InterfaceError))
    return isinstance(error, (ConnectionError, sa.exc.TimeoutError))


def _pauses(first_pause_s: float, max_pause_s: float) -> Iterator[float]:
    pause = first_pause_s
    while True:
        yield pause
        pause = min(pause * 2, max_pause_s)


def through_outage_sync(store: str, what: str, step: Callable, *, transient: Callable[[BaseException], bool],
                        outage_s: float, first_pause_s: float = 0.1, max_pause_s: float = 2.0,
                        sleep: Callable[[float], None] = time.sleep):
    """``through_outage`` for a blocking caller (a worker thread)."""
    deadline = time.monotonic() + outage_s
    for pause in _pauses(first_pause_s, max_pause_s):
        try:
            return step()
        except Exception as error:
            if not transient(error) or time.monotonic() + pause > deadline:
                raise
            log.warning("%s store: %s failed (%s); trying again in %.2fs", store, what, type(error).__name__, pause)
            metrics.STORE_RETRIES.labels(store).inc()
            sleep(pause)
    raise AssertionError("unreachable")


async def through_outage(store: str, what: str, step: Callable, *, transient: Callable[[BaseException], bool],
                         outage_s: float, first_pause_s: float = 0.1, max_pause_s: float = 2.0):
    """``step()`` (awaited when it returns an awaitable), tried again while ``transient(error)``.

    ``store`` labels the retry counter (``dingk3_store_retries_total{store=…}``) and the warning."""
    deadline = time.monotonic() + outage_s
    for pause in _pauses(first_pause_s, max_pause_s):
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
    raise AssertionError("unreachable")
