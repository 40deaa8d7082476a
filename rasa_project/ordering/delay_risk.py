"""Delay risk in the live product (issue 15): what chat asks, what the PMC group is warned of,
and which rescheduling option a person accepted.

``DelayRisk`` gathers the live factory state (``FactoryStateReader.read_planning``: the same reader
the change checks use), hands it to the pure planning core (``rasa_project.planning``) and keeps
what has to survive a restart in SQL:

- ``risk_levels``: per order the level it was last seen at and the worst level already announced
  since it was last on track, with a version. A warning is sent when an order's level is worse than
  what was announced; recovering to on track is announced once. The outbox dedupe key is the
  order, the row's version and the new level, and the row only moves on with a conditional UPDATE
  on that version: two workers, or one that crashed between the send and the UPDATE, produce the
  same key, so the PMC group gets each warning exactly once.
- ``risk_runs``: which business-clock slots (scheduled re-evaluations) and digest days are done,
  and whether a report or an applied change asked for a re-evaluation ("recheck"): the worker's
  next pass takes it.
- ``risk_suggestions``: the rescheduling options shown in a conversation, so "采用方案2" takes
  exactly the option that person saw (accepting goes through the ordinary change flow:
  ``rasa_project.chat.use_cases.ChatUseCases.accept_option``).

Every sentence is a catalog key; reasons and options are rendered in zh / id / en from the
planning core's phrases (``{"zh": ..., "id": ..., "en": ...}`` values).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Integer, String, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from dingtalk_client.messages import Markdown
from rasa_project import catalog
from rasa_project.clock import BusinessClock, utc_now
from rasa_project.db import Base
from rasa_project.mapping import MappingTables
from rasa_project.ordering.factory_state import FactoryStateReader
from rasa_project.outcomes import Message, Outcome, ok, refused
from rasa_project.planning import Level, Option, Plan, Risk, Snapshot, reschedule
from rasa_project.planning.live import risk_board, snapshot_from
from rasa_project.values import format_order_no

log = logging.getLogger(__name__)

RECHECK = "recheck"  # risk_runs key: a report or change asked for a re-evaluation

_OPTION_NUMBER = re.compile(
    r"(?:方案|选项|opsi|pilihan|option|plan|#)\s*(?:no\.?\s*)?([0-9一二三两]+)|第\s*([0-9一二三两]+)\s*(?:个)?(?:方案|选项)",
    re.IGNORECASE,
)
_CN_DIGITS = {"一": 1, "二": 2, "两": 2, "三": 3}


def option_number(text: str | None) -> int | None:
    """"采用方案2" / "pakai opsi 2" / "take option 2" / "第二个方案" -> 2 (None: no option named)."""
    if not text:
        return None
    m = _OPTION_NUMBER.search(text)
    if not m:
        return None
    raw = m.group(1) or m.group(2)
    if raw.isdigit():
        return int(raw)
    return _CN_DIGITS.get(raw)


def in_all_languages(render: Callable[[str], str]) -> dict[str, str]:
    return {lang: render(lang) for lang in catalog.LANGS}


def level_name(level: Level | str) -> dict[str, str]:
    value = level.value if isinstance(level, Level) else str(level)
    return dict(catalog.MESSAGES[f"planning.level_{value}"])


class RiskLevelRow(Base):
    __tablename__ = "risk_levels"

    bill_no = Column(String(32), primary_key=True)
    level = Column(String(16), nullable=False)  # last seen: on_track | at_risk | late
    announced = Column(String(16), nullable=False)  # worst level announced since it was on track
    version = Column(Integer, nullable=False)
    updated_at = Column(DateTime(timezone=True), nullable=False)


class RiskRunRow(Base):
    __tablename__ = "risk_runs"

    key = Column(String(64), primary_key=True)  # "check:<business slot>" | "digest:<business date>"
    created_at = Column(DateTime(timezone=True), nullable=False)


class RiskSuggestionRow(Base):
    __tablename__ = "risk_suggestions"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(128), nullable=False, index=True)
    bill_no = Column(String(32), nullable=False)
    requester = Column(String(64), nullable=False)
    as_of = Column(String(10), nullable=False)  # the business date the options were computed for
    options = Column(JSON, nullable=False)  # [Option.as_dict(), ...]
    created_at = Column(DateTime(timezone=True), nullable=False)


@dataclass(frozen=True)
class ShownOption:
    """An option as it was shown in a conversation (from ``risk_suggestions``)."""

    suggestion_id: int
    bill_no: str
    number: int
    kind: str
    data: dict

    @property
    def changes(self) -> list[dict]:
        return list(self.data.get("changes") or ())

    @property
    def new_orders(self) -> list[dict]:
        return list(self.data.get("new_orders") or ())

    @property
    def overtime(self) -> list[dict]:
        return list(self.data.get("overtime") or ())


@dataclass(frozen=True)
class Transition:
    bill_no: str
    before: str  # the level announced before
    after: str
    risk: Risk


def option_lines(plan: Plan) -> tuple[Message, ...]:
    return tuple(
        Message("risk.option_line", {"number": o.number, "text": in_all_languages(o.explain)}) for o in plan.options
    )


class DelayRisk:
    """``DelayRisk(k3, mapping, clock, sessionmaker, settings, outbox, now=utc_now)``."""

    def __init__(
        self,
        k3,
        mapping: Callable[[], MappingTables],
        clock: BusinessClock,
        sessionmaker: sessionmaker,
        settings: Any,
        outbox=None,
        *,
        now: Callable[[], datetime] = utc_now,
        audit=None,
    ) -> None:
        self.k3, self.mapping, self.clock = k3, mapping, clock
        self.Session, self.settings, self.outbox, self.now, self.audit = sessionmaker, settings, outbox, now, audit
        self._lock = threading.Lock()  # one evaluation at a time in this process

    # -- the live picture ---------------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        tables = self.mapping()
        state = FactoryStateReader(self.k3, tables, self.clock).read_planning(
            history_days=int(self.settings.risk_history_days)
        )
        return snapshot_from(state, tables)

    def board(self, snapshot: Snapshot | None = None) -> list[Risk]:
        """Every open order's risk, worst first (chat, warnings and the dashboard read this)."""
        return risk_board(snapshot or self.snapshot())

    # -- chat ---------------------------------------------------------------------------------
    def list_at_risk(self) -> Outcome[list[Risk]]:
        """"哪些订单有延期风险": the late and at-risk orders, worst first, each with its reason."""
        board = self.board()
        flagged = [r for r in board if r.level.warned]
        if not flagged:
            return ok("risk.list_none", board, open=len(board))
        lines = tuple(self._risk_line(r) for r in flagged)
        late = sum(1 for r in flagged if r.level is Level.LATE)
        return ok("risk.list", flagged, lines, count=len(flagged), late=late, at_risk=len(flagged) - late,
                  open=len(board))

    def order_risk(self, bill_no: str | None) -> Outcome[Risk]:
        """"P20250402 会不会延期": the order's level, projected finish and reason."""
        bill_no = format_order_no(bill_no)
        if not bill_no:
            return refused("ask.which_order")
        snapshot = self.snapshot()
        risk = next((r for r in self.board(snapshot) if r.bill_no == bill_no), None)
        if risk is None:
            return self._not_open(bill_no)
        hint = (Message("risk.suggest_hint", {"bill_no": bill_no}),) if risk.level.warned else ()
        return ok(f"risk.order_{risk.level.value}", risk, hint, **self._risk_values(risk))

    def suggest(self, bill_no: str | None, conversation_id: str | None, requester: str) -> Outcome[Plan]:
        """"给 P20250402 排产建议": up to three CP-SAT options, remembered for this conversation."""
        bill_no = format_order_no(bill_no)
        if not bill_no:
            return refused("ask.which_order")
        snapshot = self.snapshot()
        risk = next((r for r in self.board(snapshot) if r.bill_no == bill_no), None)
        if risk is None:
            return self._not_open(bill_no)
        plan = reschedule(snapshot, bill_no)
        if plan.status != "ok" or not plan.options:
            status = plan.status if plan.status != "ok" else "no_option"
            return refused(f"planning.plan_{status}", plan, bill_no=bill_no)
        self._remember(conversation_id or f"user:{requester}", bill_no, requester, snapshot.as_of, plan.options)
        details = (*option_lines(plan), Message("risk.accept_hint", {"bill_no": bill_no}))
        return ok("risk.suggestions", plan, details, count=len(plan.options), **self._risk_values(risk))

    def shown_option(self, conversation_id: str | None, requester: str, number: int | None,
                     bill_no: str | None = None) -> Outcome[ShownOption]:  # fmt: skip
        """The option ``number`` of the latest suggestion shown in this conversation (for ``bill_no``
        when named). Refusals: risk.accept_which, risk.accept_nothing_shown, risk.accept_no_such_option."""
        if number is None:
            return refused("risk.accept_which")
        where = [RiskSuggestionRow.conversation_id == (conversation_id or f"user:{requester}")]
        bill_no = format_order_no(bill_no) if bill_no else None
        if bill_no:
            where.append(RiskSuggestionRow.bill_no == bill_no)
        with self.Session() as s:
            row = s.execute(select(RiskSuggestionRow).where(*where).order_by(RiskSuggestionRow.id.desc())
                            .limit(1)).scalars().first()  # fmt: skip
        if row is None:
            return refused("risk.accept_nothing_shown", bill_no=bill_no or "")
        if row.as_of != self.clock.today().isoformat():  # options of another business day: ask again
            return refused("risk.accept_stale", bill_no=row.bill_no)
        data = next((o for o in row.options if int(o.get("number", 0)) == number), None)
        if data is None:
            return refused("risk.accept_no_such_option", bill_no=row.bill_no, number=number, count=len(row.options))
        return ok("risk.accept_found", ShownOption(row.id, row.bill_no, number, str(data.get("kind")), data))

    def _remember(self, conversation_id: str, bill_no: str, requester: str, as_of: date,
                  options: tuple[Option, ...]) -> None:  # fmt: skip
        with self.Session.begin() as s:
            s.add(RiskSuggestionRow(conversation_id=conversation_id, bill_no=bill_no, requester=requester,
                                    as_of=as_of.isoformat(), options=[o.as_dict() for o in options],
                                    created_at=self.now()))  # fmt: skip

    def _not_open(self, bill_no: str) -> Outcome:
        order = self.k3.get_order(bill_no)
        if order is None:
            return refused("order.not_found", bill_no=bill_no)
        return refused("planning.plan_not_open", bill_no=bill_no)

    @staticmethod
    def _risk_values(risk: Risk) -> dict[str, Any]:
        return {
            "bill_no": risk.bill_no,
            "level": level_name(risk.level),
            "work_center": risk.work_center,
            "due": risk.due.strftime("%m-%d"),
            "projected": risk.projected_finish.strftime("%m-%d") if risk.projected_finish else "-",
            "reason": in_all_languages(risk.explain),
        }

    def _risk_line(self, risk: Risk) -> Message:
        return Message("risk.list_line", self._risk_values(risk))

    # -- warnings -----------------------------------------------------------------------------
    def evaluate(self, *, cause: str = "schedule") -> list[Transition]:
        """Re-evaluate every open order; announce each worsening (and each recovery) once."""
        if not self.settings.risk_warnings_enabled:
            return []
        with self._lock:
            snapshot = self.snapshot()
            board = self.board(snapshot)
            seen = {r.bill_no: r for r in board}
            with self.Session() as s:
                rows = {row.bill_no: (row.level, row.announced, row.version)
                        for row in s.execute(select(RiskLevelRow)).scalars()}  # fmt: skip
            done: list[Transition] = []
            for risk in board:
                level, announced, version = rows.get(risk.bill_no, (None, Level.ON_TRACK.value, None))
                transition = self._step(snapshot, risk, level, announced, version)
                if transition is not None:
                    done.append(transition)
            for bill_no, (level, _announced, version) in rows.items():  # finished or closed: forget
                if bill_no not in seen and level != "closed":
                    with self.Session.begin() as s:
                        s.execute(update(RiskLevelRow).where(RiskLevelRow.bill_no == bill_no,
                                                             RiskLevelRow.version == version)
                                  .values(level="closed", announced=Level.ON_TRACK.value, version=version + 1,
                                          updated_at=self.now()))  # fmt: skip
            if done:
                log.info("delay risk (%s): %s", cause, ", ".join(f"{t.bill_no} {t.before}->{t.after}" for t in done))
            return done

    def _step(self, snapshot: Snapshot, risk: Risk, level: str | None, announced: str,
              version: int | None) -> Transition | None:  # fmt: skip
        now = self.now()
        new = risk.level.value
        if version is None:  # first sight: nothing announced yet (another worker may insert it too)
            try:
                with self.Session.begin() as s:
                    s.add(RiskLevelRow(bill_no=risk.bill_no, level="new", announced=Level.ON_TRACK.value,
                                       version=0, updated_at=now))  # fmt: skip
            except IntegrityError:
                pass
            with self.Session() as s:
                row = s.get(RiskLevelRow, risk.bill_no)
                level, announced, version = row.level, row.announced, row.version
        was = Level(announced) if announced in {lv.value for lv in Level} else Level.ON_TRACK
        send: str | None = None
        after = was.value
        if risk.level.severity > was.severity:
            send, after = "warning", new
        elif risk.level is Level.ON_TRACK and was is not Level.ON_TRACK:
            send, after = "recovered", new
        if send is None:
            if level != new:
                with self.Session.begin() as s:
                    s.execute(update(RiskLevelRow).where(RiskLevelRow.bill_no == risk.bill_no,
                                                         RiskLevelRow.version == version)
                              .values(level=new, version=version + 1, updated_at=now))  # fmt: skip
            return None
        # the message first (its key makes it once-only), then the row: a crash in between resends
        # the same key, which the outbox drops
        key = f"risk:{risk.bill_no}:{version}:{send}:{new}"
        if self.outbox is not None:
            message = self._warning(snapshot, risk) if send == "warning" else self._recovered(risk)
            group = self.settings.dingtalk_pmc_group
            self.outbox.send(key, message, kind=f"risk_{send}", group=group, ref=risk.bill_no)
        with self.Session.begin() as s:
            moved = s.execute(update(RiskLevelRow).where(RiskLevelRow.bill_no == risk.bill_no,
                                                         RiskLevelRow.version == version)
                              .values(level=new, announced=after, version=version + 1, updated_at=now)).rowcount  # fmt: skip
        if moved != 1:
            return None
        if self.audit is not None:
            self.audit.record("system", actor="system", order_bill_no=risk.bill_no, event=f"risk_{send}",
                              level=new, announced_before=was.value, notification=key)  # fmt: skip
        return Transition(risk.bill_no, was.value, new, risk)

    def _warning(self, snapshot: Snapshot, risk: Risk) -> Markdown:
        lang = self.settings.notify_group_lang
        lines = [Message("risk.warning", self._risk_values(risk))]
        try:
            plan = reschedule(snapshot, risk.bill_no)
        except Exception:  # a solver failure must not cost the warning
            log.exception("rescheduling %s for its warning failed", risk.bill_no)
            plan = None
        if plan is not None and plan.options:
            top = plan.options[0]
            lines.append(Message("risk.warning_suggestion", {"text": in_all_languages(top.explain)}))
            lines.append(Message("risk.warning_more", {"bill_no": risk.bill_no, "count": len(plan.options)}))
        return self._markdown(lang, *lines)

    def _recovered(self, risk: Risk) -> Markdown:
        return self._markdown(self.settings.notify_group_lang, Message("risk.recovered", self._risk_values(risk)))

    @staticmethod
    def _markdown(lang: str, *messages: Message) -> Markdown:
        text = "\n\n".join(m.text(lang) for m in messages)  # DingTalk markdown: a blank line breaks
        return Markdown(title=text.split("\n", 1)[0][:60], text=text)

    # -- the schedule (business clock) --------------------------------------------------------
    def _claim_run(self, key: str) -> bool:
        try:
            with self.Session.begin() as s:
                s.add(RiskRunRow(key=key[:64], created_at=self.now()))
            return True
        except IntegrityError:
            return False

    def _release_run(self, key: str) -> None:
        with self.Session.begin() as s:
            row = s.get(RiskRunRow, key[:64])
            if row is not None:
                s.delete(row)

    def slot(self, at: datetime) -> str:
        minutes = max(1, int(self.settings.risk_check_interval_min))
        start = at.replace(second=0, microsecond=0, tzinfo=None)
        start -= timedelta(minutes=(start.hour * 60 + start.minute) % minutes)
        return start.strftime("%Y-%m-%dT%H:%M")

    def tick(self) -> list[Transition]:
        """The worker's step: re-evaluate once per business-clock slot, post the digest once a day."""
        if not self.settings.risk_warnings_enabled:
            return []
        business_now = self.clock.now()
        done: list[Transition] = []
        key = f"check:{self.slot(business_now)}"
        if self._claim_run(key):
            self._take_recheck()  # this evaluation answers it too
            try:
                done = self.evaluate(cause="schedule")
            except Exception:
                self._release_run(key)  # K/3 was down: the next tick tries this slot again
                raise
        elif self._take_recheck():
            try:
                done = self.evaluate(cause="report or change")
            except Exception:
                self._claim_run(RECHECK)  # ask again: the next tick retries
                raise
        self.digest(business_now)
        return done

    def digest(self, business_now: datetime) -> bool:
        """The daily list of at-risk and late orders for the PMC group, once per business day."""
        at = _hhmm(self.settings.risk_digest_time)
        if at is None or self.outbox is None or business_now.time().replace(tzinfo=None) < at:
            return False
        day = business_now.date().isoformat()
        key = f"digest:{day}"
        if not self._claim_run(key):
            return False
        try:
            board = self.board()
        except Exception:
            self._release_run(key)
            raise
        flagged = [r for r in board if r.level.warned]
        lang = self.settings.notify_group_lang
        if flagged:
            late = sum(1 for r in flagged if r.level is Level.LATE)
            head = Message("risk.digest", {"day": business_now.strftime("%m-%d"), "count": len(flagged), "late": late,
                                           "at_risk": len(flagged) - late, "open": len(board)})  # fmt: skip
            message = self._markdown(lang, head, *(self._risk_line(r) for r in flagged))
        else:
            message = self._markdown(lang, Message("risk.digest_none", {"day": business_now.strftime("%m-%d"),
                                                                         "open": len(board)}))  # fmt: skip
        return self.outbox.send(f"risk-digest:{day}", message, kind="risk_digest", group=self.settings.dingtalk_pmc_group)

    # -- after an output report ---------------------------------------------------------------
    def after_report(self, bill_no: str) -> None:
        """An output report (or an applied change) reached K/3: ask the worker to re-evaluate on its
        next pass. A durable row (``risk_runs`` "recheck"), not work in the reply's path: it
        survives a restart, and of several workers one takes it."""
        if not self.settings.risk_warnings_enabled:
            return
        if self._claim_run(RECHECK):
            log.info("delay risk: re-evaluation asked after %s", bill_no)

    def _take_recheck(self) -> bool:
        with self.Session.begin() as s:
            return s.execute(delete(RiskRunRow).where(RiskRunRow.key == RECHECK)).rowcount == 1


def _hhmm(value: str | None) -> time | None:
    if not value:
        return None
    try:
        hours, minutes = str(value).strip().split(":", 1)
        return time(int(hours), int(minutes))
    except ValueError:
        return None
