"""Persistence of the simulator's bills: an in-memory working set written through to SQLite.

Every request runs as one unit of work (``with store.unit():``): changes are written to SQLite in
one transaction when the unit ends, or thrown away (reloaded from disk) when it fails, so a
half-applied operation never survives. A restart reloads the same state.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bills (form_id TEXT NOT NULL, id INTEGER NOT NULL, body TEXT NOT NULL,
                                  PRIMARY KEY (form_id, id));
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Store:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")  # durable across restarts, without an fsync per request
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)
        self.lock = threading.RLock()
        self._bills: dict[str, dict[int, dict]] = {}
        self._counters: dict[str, int] = {}
        self._dirty: set[tuple[str, int]] = set()
        self._dirty_counters: set[str] = set()
        self._load()

    # -- lifecycle ---------------------------------------------------------------------------
    def _load(self) -> None:
        self._bills.clear()
        self._counters.clear()
        for form_id, bill_id, body in self._conn.execute("SELECT form_id, id, body FROM bills"):
            self._bills.setdefault(form_id, {})[bill_id] = json.loads(body)
        for name, value in self._conn.execute("SELECT name, value FROM counters"):
            self._counters[name] = value
        self._dirty.clear()
        self._dirty_counters.clear()

    def is_empty(self) -> bool:
        return not any(self._bills.values())

    def wipe(self) -> None:
        with self.lock:
            self._conn.execute("BEGIN")
            self._conn.execute("DELETE FROM bills")
            self._conn.execute("DELETE FROM counters")
            self._conn.execute("COMMIT")
            self._load()

    def close(self) -> None:
        self._conn.close()

    @contextmanager
    def unit(self) -> Iterator[Store]:
        """One request's changes: committed together, or discarded on error."""
        with self.lock:
            try:
                yield self
            except BaseException:
                self._load()
                raise
            self._commit()

    def _commit(self) -> None:
        if not self._dirty and not self._dirty_counters:
            return
        conn = self._conn
        conn.execute("BEGIN")
        try:
            for form_id, bill_id in self._dirty:
                bill = self._bills.get(form_id, {}).get(bill_id)
                if bill is None:
                    conn.execute("DELETE FROM bills WHERE form_id=? AND id=?", (form_id, bill_id))
                else:
                    conn.execute(
                        "INSERT OR REPLACE INTO bills (form_id, id, body) VALUES (?, ?, ?)",
                        (form_id, bill_id, json.dumps(bill, ensure_ascii=False)),
                    )
            for name in self._dirty_counters:
                conn.execute("INSERT OR REPLACE INTO counters (name, value) VALUES (?, ?)", (name, self._counters[name]))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            self._load()
            raise
        self._dirty.clear()
        self._dirty_counters.clear()

    # -- bills ---------------------------------------------------------------------------------
    def all(self, form_id: str) -> list[dict]:
        return [self._bills[form_id][k] for k in sorted(self._bills.get(form_id, {}))]

    def get(self, form_id: str, bill_id: int) -> dict | None:
        return self._bills.get(form_id, {}).get(int(bill_id))

    def by_number(self, form_id: str, number_key: str, number: str) -> dict | None:
        wanted = str(number).casefold()
        return next((b for b in self.all(form_id) if str(b.get(number_key, "")).casefold() == wanted), None)

    def put(self, form_id: str, pk: str, bill: dict) -> dict:
        bill_id = int(bill[pk])
        self._bills.setdefault(form_id, {})[bill_id] = bill
        self._dirty.add((form_id, bill_id))
        return bill

    def remove(self, form_id: str, bill_id: int) -> None:
        self._bills.get(form_id, {}).pop(int(bill_id), None)
        self._dirty.add((form_id, int(bill_id)))

    def snapshot(self, bill: dict) -> dict:
        return copy.deepcopy(bill)

    # -- counters ------------------------------------------------------------------------------
    def next(self, name: str, start: int = 1) -> int:
        value = max(self._counters.get(name, start - 1), start - 1) + 1
        self._counters[name] = value
        self._dirty_counters.add(name)
        return value

    def bump(self, name: str, at_least: int) -> None:
        if self._counters.get(name, 0) < at_least:
            self._counters[name] = at_least
            self._dirty_counters.add(name)

    def counts(self) -> dict[str, int]:
        return {form_id: len(bills) for form_id, bills in self._bills.items()}
