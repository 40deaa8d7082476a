"""Persistence of the simulator's bills: an in-memory working set written through to SQLite.

Every request runs as one unit of work (``with store.unit():``): changes are written to SQLite in
one transaction when the unit ends, or thrown away (reloaded from disk) when it fails, so a
half-applied operation never survives. A restart reloads the same state.

Like a database, the store keeps indexes so a lookup does not scan a form: bills by number, the
ids of each form in order, and secondary indexes the query engine asks for (``index``: key ->
bill ids, built on first use, kept up to date by every ``put`` / ``remove``). ``generation(form)``
moves with every change of a form, so a query's result can be kept for its next pages (a cursor)
and is thrown away as soon as the form changes.
"""

from __future__ import annotations

import bisect
import copy
import itertools
import json
import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bills (form_id TEXT NOT NULL, id INTEGER NOT NULL, body TEXT NOT NULL,
                                  PRIMARY KEY (form_id, id));
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class _Index:
    """key -> ids of the bills whose ``keys_of(bill)`` contain it (and the reverse, to update)."""

    def __init__(self, keys_of: Callable[[dict], Iterable[Hashable]], version: Hashable = None) -> None:
        self.keys_of, self.version = keys_of, version
        self.ids: dict[Hashable, set[int]] = {}
        self._keys: dict[int, tuple] = {}

    def update(self, bill_id: int, bill: dict | None) -> None:
        for key in self._keys.pop(bill_id, ()):
            bucket = self.ids.get(key)
            if bucket is not None:
                bucket.discard(bill_id)
                if not bucket:
                    del self.ids[key]
        if bill is not None:
            keys = tuple(set(self.keys_of(bill)))
            self._keys[bill_id] = keys
            for key in keys:
                self.ids.setdefault(key, set()).add(bill_id)


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
        self._order: dict[str, list[int]] = {}  # form -> its bill ids, sorted
        self._indexes: dict[tuple[str, str], _Index] = {}  # (form, name) -> index
        self._generations: dict[str, int] = {}
        self._ticks = itertools.count(1)
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
        self._order = {form_id: sorted(bills) for form_id, bills in self._bills.items()}
        self._indexes.clear()
        tick = next(self._ticks)
        self._generations = {form_id: tick for form_id in self._generations.keys() | self._bills.keys()}

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
        bills = self._bills.get(form_id, {})
        return [bills[k] for k in self._order.get(form_id, ())]

    def get(self, form_id: str, bill_id: int) -> dict | None:
        return self._bills.get(form_id, {}).get(int(bill_id))

    def by_number(self, form_id: str, number_key: str, number: str) -> dict | None:
        """The first bill (lowest id) whose ``number_key`` equals ``number`` (case-insensitive)."""
        ids = self.index(form_id, f"number:{number_key}",
                         lambda bill: (str(bill.get(number_key, "")).casefold(),)).get(str(number).casefold())
        return self._bills[form_id][min(ids)] if ids else None

    def index(self, form_id: str, name: str, keys_of: Callable[[dict], Iterable[Hashable]], *,
              version: Hashable = None) -> dict[Hashable, set[int]]:
        """The secondary index ``name`` of a form (key -> bill ids), built with ``keys_of`` on first use
        and again when ``version`` changes (keys that depend on other forms). The caller must not
        change the sets it gets."""
        index = self._indexes.get((form_id, name))
        if index is None or index.version != version:
            index = self._indexes[(form_id, name)] = _Index(keys_of, version)
            for bill_id, bill in self._bills.get(form_id, {}).items():
                index.update(bill_id, bill)
        return index.ids

    def generation(self, form_id: str) -> int:
        """Changes with every put / remove / reload of the form (never repeats in this process)."""
        return self._generations.setdefault(form_id, next(self._ticks))

    def _changed(self, form_id: str, bill_id: int, bill: dict | None) -> None:
        for (form, _name), index in self._indexes.items():
            if form == form_id:
                index.update(bill_id, bill)
        self._generations[form_id] = next(self._ticks)

    def put(self, form_id: str, pk: str, bill: dict) -> dict:
        bill_id = int(bill[pk])
        bills = self._bills.setdefault(form_id, {})
        if bill_id not in bills:
            order = self._order.setdefault(form_id, [])
            if order and order[-1] > bill_id:
                bisect.insort(order, bill_id)
            else:
                order.append(bill_id)
        bills[bill_id] = bill
        self._dirty.add((form_id, bill_id))
        self._changed(form_id, bill_id, bill)
        return bill

    def remove(self, form_id: str, bill_id: int) -> None:
        if self._bills.get(form_id, {}).pop(int(bill_id), None) is not None:
            self._order[form_id].remove(int(bill_id))
        self._dirty.add((form_id, int(bill_id)))
        self._changed(form_id, int(bill_id), None)

    def snapshot(self, bill: dict) -> dict:
        return copy.deepcopy(bill)

    # -- counters ------------------------------------------------------------------------------
    def next(self, name: str, start: int = 1) -> int:
        value = max(self._counters.get(name, start - 1), start - 1) + 1
        self._counters[name] = value
        self._dirty_counters.add(name)
        return value

    def numbering(self) -> dict[str, int]:
        """Every counter as it stands (bill numbers given so far)."""
        return dict(self._counters)

    def bump(self, name: str, at_least: int) -> None:
        if self._counters.get(name, 0) < at_least:
            self._counters[name] = at_least
            self._dirty_counters.add(name)

    def counts(self) -> dict[str, int]:
        return {form_id: len(bills) for form_id, bills in self._bills.items()}
