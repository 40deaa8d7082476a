"""One short SQLite write transaction, the way the channel's stores (reply queue, dedupe, claims)
write: ``BEGIN IMMEDIATE`` (the write lock first, so no read-then-upgrade deadlock), the work,
``COMMIT``; any error rolls back; the connection (one per call) is closed afterwards."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def immediate(db: sqlite3.Connection, work: Callable[[sqlite3.Connection], T]) -> T:
    """``work(db)`` in one immediate transaction on ``db`` (opened with ``isolation_level=None``)."""
    try:
        db.execute("BEGIN IMMEDIATE")
        result = work(db)
        db.execute("COMMIT")
        return result
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    finally:
        db.close()
