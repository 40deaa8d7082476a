"""The audit trail service: append (serialized, durable), verify, read back.

Writers serialize on the chain-head row: ``SELECT ... FOR UPDATE`` on PostgreSQL and
``BEGIN IMMEDIATE`` (the database write lock) on SQLite, so two writers can never both
extend the same link. ``record()`` returns only after its transaction committed; records
arriving together in one process share one transaction (group commit).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from rasa_project import metrics
from rasa_project.audit.chain import (
    AuditKind,
    VerifyResult,
    canonical_json,
    chain_hash,
    record_content,
    verify_chain,
)
from rasa_project.audit.models import HEAD_ID, AuditChainHead, AuditRecord
from rasa_project.audit.redaction import redact, secrets_of
from rasa_project.clock import utc_now
from rasa_project.outage import connection_lost, through_outage_sync

log = logging.getLogger(__name__)


class AuditChainMissing(RuntimeError):
    """The chain-head row is absent: the a001_audit migration has not run on this database."""


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


MAX_BATCH = 256  # records in one group commit


@dataclass(eq=False)
class _Pending:
    kind: str
    actor: str | None
    conversation_id: str | None
    order_bill_no: str | None
    payload_text: str
    created_at: datetime | None = None
    record: AuditRecord | None = None
    error: BaseException | None = None
    done: bool = False


class AuditTrail:
    """Append-only, hash-chained audit log over a SQLAlchemy sessionmaker."""

    def __init__(
        self,
        sessionmaker_: sessionmaker,
        *,
        secrets: Iterable[str] | None = None,
        now: Callable[[], datetime] = utc_now,
        outage_s: float = 30.0,
    ) -> None:
        if secrets is None:  # secure by default: every SecretStr in Settings is masked
            from rasa_project.settings import get_settings

            secrets = secrets_of(get_settings())
        self._sessionmaker = sessionmaker_
        self._secrets = tuple(secrets)
        self._now = now
        self._turn = threading.Condition()  # the queue of records waiting for the next group commit
        self._queue: list[_Pending] = []
        self._writing = False
        # a database outage (connections cut, refused) is ridden out for this long: the turn waits
        # instead of failing on its audit record
        self._outage_s = outage_s
        self._tried: list[AuditRecord] | None = None  # the batch of the last attempt, before its commit

    def _session(self) -> Session:
        return self._sessionmaker(expire_on_commit=False)

    @staticmethod
    def _is_sqlite(session: Session) -> bool:
        return session.get_bind().dialect.name == "sqlite"

    def record(
        self,
        kind: str | AuditKind,
        *,
        actor: str | None = None,
        conversation_id: str | None = None,
        order_bill_no: str | None = None,
        **details,
    ) -> AuditRecord:
        """Append one record (details redacted) and return it once committed.

        Group commit: records that arrive while another thread of this process is writing are
        appended together by the next writer, in arrival order, in one transaction (one lock of the
        chain head, one commit). Every caller still returns only after its own record committed,
        and the chain is extended exactly as by one-at-a-time appends; concurrent turns share a
        commit instead of queueing for one each."""
        started = time.monotonic()
        kind_value = AuditKind(kind).value
        payload_text = canonical_json(redact(details, self._secrets))
        item = _Pending(kind_value, actor, conversation_id, order_bill_no, payload_text)
        with self._turn:
            item.created_at = _naive_utc(self._now())  # taken in queue order: ids and times rise together
            self._queue.append(item)
            while not item.done and self._writing:
                self._turn.wait()
            if not item.done:
                self._writing = True
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        if not item.done:
            try:
                for pending, record in zip(batch, self._append_through_outage(batch)):
                    pending.record = record
            except Exception as exc:  # noqa: BLE001 - handed to every caller of the batch, re-raised in each
                for pending in batch:
                    pending.error = exc
            finally:
                with self._turn:
                    self._writing = False
                    for pending in batch:
                        if pending.record is None and pending.error is None:  # the writer was interrupted
                            pending.error = RuntimeError("audit append interrupted")
                        pending.done = True
                    self._turn.notify_all()
        if item.error is not None:
            raise item.error
        metrics.observe_stage("audit", time.monotonic() - started)
        return item.record

    def _append_through_outage(self, batch: list[_Pending]) -> list[AuditRecord]:
        """``_append``, tried again while the database is away. A commit whose answer was lost may
        have landed: then the chain head already carries the batch's last hash, and the batch is not
        appended a second time."""
        self._tried = None

        def attempt() -> list[AuditRecord]:
            tried = self._tried
            if tried is not None and self._head_hash() == tried[-1].hash:
                return tried
            return self._append(batch)

        return through_outage_sync("audit", f"appending {len(batch)} record(s)", attempt,
                                   transient=connection_lost, outage_s=self._outage_s)

    def _head_hash(self) -> str | None:
        with self._session() as session:
            head = session.execute(select(AuditChainHead).where(AuditChainHead.id == HEAD_ID)).scalar_one_or_none()
            return head.last_hash if head is not None else None

    def _append(self, batch: list[_Pending]) -> list[AuditRecord]:
        with self._session() as session:
            if self._is_sqlite(session):
                # Take SQLite's write lock before reading the head: a deferred transaction could
                # read the same head as another writer and then fail to upgrade its lock.
                session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            head = session.execute(
                select(AuditChainHead).where(AuditChainHead.id == HEAD_ID).with_for_update()
            ).scalar_one_or_none()
            if head is None:
                raise AuditChainMissing("audit_chain_head row missing; run `rasa_project.db.migrate()`")
            records = []
            for item in batch:
                new_id = head.last_id + 1
                payload = json.loads(item.payload_text)
                content = record_content(
                    id=new_id,
                    created_at=item.created_at,
                    kind=item.kind,
                    actor=item.actor,
                    conversation_id=item.conversation_id,
                    order_bill_no=item.order_bill_no,
                    payload=payload,
                )
                record = AuditRecord(
                    id=new_id,
                    created_at=item.created_at,
                    kind=item.kind,
                    actor=item.actor,
                    conversation_id=item.conversation_id,
                    order_bill_no=item.order_bill_no,
                    payload=item.payload_text,
                    prev_hash=head.last_hash,
                    hash=chain_hash(head.last_hash, content),
                )
                session.add(record)
                head.last_id, head.last_hash = new_id, record.hash
                records.append(record)
            self._tried = records
            session.commit()
        return records

    def verify(self) -> VerifyResult:
        """Walk the whole chain in one consistent snapshot; name the first broken record."""
        with self._session() as session:
            if self._is_sqlite(session):
                session.connection().exec_driver_sql("BEGIN")  # one read snapshot for all queries
            else:
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            head_row = session.execute(
                select(AuditChainHead).where(AuditChainHead.id == HEAD_ID)
            ).scalar_one_or_none()
            head = (head_row.last_id, head_row.last_hash) if head_row else None
            table = AuditRecord.__table__
            rows = session.execute(
                select(table).order_by(table.c.id).execution_options(yield_per=1000, stream_results=True)
            )
            result = verify_chain(rows, head)
            session.rollback()
        if not result.ok:
            log.error("audit chain broken at record %s: %s", result.first_broken_id, result.reason)
        return result

    def head(self) -> tuple[int, str]:
        """The chain head (last id, last hash): what an anchor exports."""
        with self._session() as session:
            row = session.execute(select(AuditChainHead).where(AuditChainHead.id == HEAD_ID)).scalar_one_or_none()
            if row is None:
                raise AuditChainMissing("audit_chain_head row missing; run `rasa_project.db.migrate()`")
            return row.last_id, row.last_hash

    def verify_anchors(self, anchors, key: str):
        """Hold signed anchors (rasa_project.audit.anchor) against the chain recomputed from its rows."""
        from rasa_project.audit.anchor import check_anchors

        with self._session() as session:
            if self._is_sqlite(session):
                session.connection().exec_driver_sql("BEGIN")
            else:
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            table = AuditRecord.__table__
            rows = session.execute(
                select(table).order_by(table.c.id).execution_options(yield_per=1000, stream_results=True)
            )
            result = check_anchors(rows, anchors, key)
            session.rollback()
        if not result.ok:
            log.error("audit trail does not match anchor %s: %s", result.anchor_id, result.reason)
        return result

    def history(self, order_bill_no: str, limit: int | None = None) -> list[AuditRecord]:
        """Records about one order, oldest first (the newest ``limit`` if given)."""
        with self._session() as session:
            query = select(AuditRecord).where(AuditRecord.order_bill_no == order_bill_no)
            if limit is None:
                return list(session.execute(query.order_by(AuditRecord.id)).scalars())
            rows = session.execute(query.order_by(AuditRecord.id.desc()).limit(limit)).scalars()
            return list(reversed(list(rows)))

    def of_kinds(self, kinds: tuple[str, ...], *, since: datetime | None = None) -> list[AuditRecord]:
        """Every record of these kinds (created at or after ``since``, naive UTC), oldest first."""
        with self._session() as session:
            query = select(AuditRecord).where(AuditRecord.kind.in_([AuditKind(k).value for k in kinds]))
            if since is not None:
                query = query.where(AuditRecord.created_at >= _naive_utc(since))
            return list(session.execute(query.order_by(AuditRecord.id)).scalars())

    def tail(self, n: int = 20) -> list[AuditRecord]:
        """The newest ``n`` records, oldest first."""
        with self._session() as session:
            rows = session.execute(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(n)).scalars()
            return list(reversed(list(rows)))
