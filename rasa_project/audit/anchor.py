"""The audit trail anchored outside itself: signed copies of the chain head, kept where the bot's
database user cannot rewrite them.

The hash chain catches an edit, a deletion or an insertion, but not someone who rewrites the
whole chain and its head row: every link would verify. So the worker exports the head (last id
and hash) every ``audit_anchor_interval_s`` as one JSON line, HMAC-signed with
``audit_anchor_key``, appended to ``audit_anchor_file`` (opened O_APPEND, never rewritten; in
production a path the bot's OS user can only append to, e.g. ``chattr +a``, or a log host), and
optionally posted to a DingTalk group. ``dingk3 audit verify --anchors FILE`` recomputes the
chain from the genesis hash and compares each anchor's (id, hash): a rewritten chain no longer
produces the anchored hashes, a truncated one lacks the anchored ids, and a forged anchor fails
its MAC. Records newer than the last anchor are protected by the chain alone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from rasa_project.audit.chain import GENESIS_HASH, StoredRecord, canonical_json, chain_hash, record_content

log = logging.getLogger(__name__)

VERSION = 1


def anchor_mac(key: str, record_id: int, record_hash: str, at: str) -> str:
    message = canonical_json({"v": VERSION, "id": record_id, "hash": record_hash, "at": at})
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Anchor:
    id: int
    hash: str
    at: str  # ISO time the head was read (UTC)
    mac: str

    def to_line(self) -> str:
        return canonical_json({"v": VERSION, "id": self.id, "hash": self.hash, "at": self.at, "mac": self.mac})

    @classmethod
    def from_line(cls, line: str) -> Anchor:
        data = json.loads(line)
        if not isinstance(data, dict) or data.get("v") != VERSION:
            raise ValueError("not an anchor line")
        return cls(int(data["id"]), str(data["hash"]), str(data["at"]), str(data["mac"]))

    def is_signed_by(self, key: str) -> bool:
        return hmac.compare_digest(self.mac, anchor_mac(key, self.id, self.hash, self.at))


def make_anchor(key: str, head: tuple[int, str], at: datetime) -> Anchor:
    stamp = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return Anchor(head[0], head[1], stamp, anchor_mac(key, head[0], head[1], stamp))


def append_anchor(path: Path, anchor: Anchor) -> None:
    """One line, appended and flushed to disk; the file is never opened for anything but appending."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (anchor.to_line() + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_anchors(path: Path) -> list[Anchor | None]:
    """Every line of an anchor file; None for a line that is not an anchor (itself a finding)."""
    anchors: list[Anchor | None] = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            anchors.append(Anchor.from_line(line))
        except (ValueError, KeyError, TypeError):
            anchors.append(None)
    return anchors


@dataclass(frozen=True)
class AnchorCheck:
    ok: bool
    anchors: int
    anchor_id: int | None = None  # the record id of the first anchor that does not hold
    reason: str | None = None  # malformed | mac_invalid | record_missing | hash_mismatch | no_anchors


def check_anchors(rows: Iterable[StoredRecord], anchors: list[Anchor | None], key: str) -> AnchorCheck:
    """Recompute the chain (rows in id order, from the genesis hash, ignoring the stored hashes) and
    hold every anchor against it (pure)."""
    if not anchors:
        return AnchorCheck(False, 0, None, "no_anchors")
    for anchor in anchors:
        if anchor is None:
            return AnchorCheck(False, len(anchors), None, "malformed")
        if not anchor.is_signed_by(key):
            return AnchorCheck(False, len(anchors), anchor.id, "mac_invalid")
    wanted = {a.id for a in anchors}
    recomputed: dict[int, str] = {}
    prev = GENESIS_HASH
    for row in rows:
        try:
            payload = json.loads(row.payload)
        except (TypeError, ValueError):
            payload = row.payload  # unreadable: it cannot hash to what was anchored
        content = record_content(id=row.id, created_at=row.created_at, kind=row.kind, actor=row.actor,
                                 conversation_id=row.conversation_id, order_bill_no=row.order_bill_no,
                                 payload=payload)
        prev = chain_hash(prev, content)
        if row.id in wanted:
            recomputed[row.id] = prev
    for anchor in sorted(anchors, key=lambda a: a.id):
        if anchor.id == 0:  # an anchor of the empty chain
            if anchor.hash != GENESIS_HASH:
                return AnchorCheck(False, len(anchors), 0, "hash_mismatch")
            continue
        if anchor.id not in recomputed:
            return AnchorCheck(False, len(anchors), anchor.id, "record_missing")
        if not hmac.compare_digest(recomputed[anchor.id], anchor.hash):
            return AnchorCheck(False, len(anchors), anchor.id, "hash_mismatch")
    return AnchorCheck(True, len(anchors))


# --- the scheduled export ----------------------------------------------------------------------
class AnchorWorker:
    """``anchor_now()`` exports the head once; ``start()`` does it every interval in a daemon thread."""

    def __init__(self, settings, trail, *, openapi=None, now=None) -> None:
        from rasa_project.clock import utc_now

        self.settings = settings
        self.trail = trail
        self.openapi = openapi  # the DingTalk client of the process (wiring); needed only with audit_anchor_group
        self.now = now or utc_now
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def anchor_now(self) -> Anchor:
        anchor = make_anchor(self.settings.audit_anchor_key.get_secret_value(), self.trail.head(), self.now())
        append_anchor(self.settings.audit_anchor_file, anchor)
        if self.settings.audit_anchor_group:
            self._post(anchor)
        return anchor

    def _post(self, anchor: Anchor) -> None:
        from dingtalk_client.messages import Text
        from dingtalk_client.openapi import DingTalkError
        from rasa_project import catalog

        text = catalog.text("audit.anchor.group_post", self.settings.notify_group_lang, record_id=anchor.id,
                            hash=anchor.hash, at=anchor.at, mac=anchor.mac)
        if self.openapi is None:
            log.warning("audit anchor #%s not posted: no DingTalk client given", anchor.id)
            return
        try:
            self.openapi.send_group(self.settings.audit_anchor_group, Text(text))
        except DingTalkError as exc:  # the file has it; the group copy is a courtesy
            log.warning("audit anchor #%s not posted to the audit group (%s)", anchor.id, type(exc).__name__)

    def start(self) -> AnchorWorker:
        if float(self.settings.audit_anchor_interval_s) > 0 and (self._thread is None or not self._thread.is_alive()):
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="audit-anchor", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        interval = max(1.0, float(self.settings.audit_anchor_interval_s))
        while not self._stop.is_set():
            try:
                self.anchor_now()
            except Exception:  # one failed export must not end the schedule
                log.exception("audit anchor export failed")
            self._stop.wait(interval)
