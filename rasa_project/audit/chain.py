"""The hash chain, as pure functions: canonical content, link hash, chain verification.

Each record's hash is ``sha256(prev_hash + canonical JSON of its content)``, where the content
includes the record's id and timestamp, so editing, deleting, inserting or reordering records
breaks the chain at (or right after) the first record touched. The chain head (last id and
hash) is kept in its own row, which also catches records cut off or appended at the tail.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import PurePath
from typing import Any, Protocol

GENESIS_HASH = "0" * 64


class AuditKind(str, enum.Enum):
    INBOUND = "inbound"
    NLU = "nlu"
    DECISION = "decision"
    K3_CALL = "k3_call"
    REPLY = "reply"
    APPROVAL = "approval"
    SYSTEM = "system"
    TRAINING = "training"  # a trainer changed the training data (rasa_project/review)


def _jsonable(value: Any) -> Any:
    """Values json cannot encode natively, made deterministic."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted((_jsonable(v) if not isinstance(v, (str, int, float)) else v for v in value), key=str)
    if isinstance(value, (PurePath, bytes)):
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)  # SecretStr renders as '**********' here, never its value


def canonical_json(value: Any) -> str:
    """One byte-exact JSON text per value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_jsonable)


def format_created_at(created_at: datetime) -> str:
    """Naive-UTC (or aware) timestamp as ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    if created_at.tzinfo is not None:
        created_at = created_at.astimezone(timezone.utc).replace(tzinfo=None)
    return created_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_content(
    *,
    id: int,
    created_at: datetime,
    kind: str,
    actor: str | None,
    conversation_id: str | None,
    order_bill_no: str | None,
    payload: Any,
) -> dict:
    return {
        "id": id,
        "created_at": format_created_at(created_at),
        "kind": kind,
        "actor": actor,
        "conversation_id": conversation_id,
        "order_bill_no": order_bill_no,
        "payload": payload,
    }


def chain_hash(prev_hash: str, content: dict) -> str:
    return hashlib.sha256((prev_hash + canonical_json(content)).encode("utf-8")).hexdigest()


class StoredRecord(Protocol):
    id: int
    created_at: datetime
    kind: str
    actor: str | None
    conversation_id: str | None
    order_bill_no: str | None
    payload: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str | None = None  # hash_mismatch | prev_hash_mismatch | missing_before | ...


def stored_hash_of(row: StoredRecord) -> str | None:
    """The hash the row's content should have, or None if its payload is not JSON."""
    try:
        payload = json.loads(row.payload)
    except (TypeError, ValueError):
        return None
    content = record_content(
        id=row.id,
        created_at=row.created_at,
        kind=row.kind,
        actor=row.actor,
        conversation_id=row.conversation_id,
        order_bill_no=row.order_bill_no,
        payload=payload,
    )
    return chain_hash(row.prev_hash, content)


def verify_chain(rows: Iterable[StoredRecord], head: tuple[int, str] | None) -> VerifyResult:
    """Check rows (ordered by id) link by link, then against the head ``(last_id, last_hash)``."""
    expected_id, expected_prev, checked = 1, GENESIS_HASH, 0
    for row in rows:
        if row.id > expected_id:  # a record was removed (or ids renumbered) before this one
            return VerifyResult(False, checked, row.id, "missing_before")
        if row.id < expected_id:
            return VerifyResult(False, checked, row.id, "id_out_of_sequence")
        if row.prev_hash != expected_prev:
            return VerifyResult(False, checked, row.id, "prev_hash_mismatch")
        recomputed = stored_hash_of(row)
        if recomputed is None:
            return VerifyResult(False, checked, row.id, "payload_unreadable")
        if recomputed != row.hash:
            return VerifyResult(False, checked, row.id, "hash_mismatch")
        checked += 1
        expected_id, expected_prev = row.id + 1, row.hash
    last_id = expected_id - 1
    if head is None:
        return VerifyResult(False, checked, last_id + 1, "head_missing")
    head_id, head_hash = head
    if head_id > last_id:  # the newest records were deleted
        return VerifyResult(False, checked, last_id + 1, "tail_missing")
    if head_id < last_id:  # records appended without going through the trail
        return VerifyResult(False, checked, head_id + 1, "beyond_head")
    if head_hash != expected_prev:
        return VerifyResult(False, checked, last_id or None, "head_mismatch")
    return VerifyResult(True, checked)
