"""What a person can ask the assistant for, one use case each: the only door the actions use.

An action builds the ``Turn``, passes the permission gate, calls ONE method here (in a worker
thread: these block on K/3, SQL and LDAP) and says the ``Answer``. Which pending thing a "yes"
confirms, when the managers are asked, when the background worker starts, and every K/3 query
are decided here, not in ``actions/``. Answers carry catalog keys and values, never sentences;
``Answer.pending`` is what the conversation waits for next (the tracker's ``pending`` slot).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from k3_client.models import OrderStatus
from rasa_project import catalog
from rasa_project.authz.roles import ORDER_CHANGE, ORDER_CREATE, REPORT_OUTPUT
from rasa_project.chat import lists, views
from rasa_project.chat.access import Access
from rasa_project.chat.answers import answer_value
from rasa_project.chat.pending import (
    RETRY_SAME_CONFIRMATION,
    AskedChange,
    OfferedReport,
    Pending,
    parse_pending,
)
from rasa_project.chat.prompts import Question, question_for
from rasa_project.chat.turn import Turn
from rasa_project.clock import BusinessClock
from rasa_project.mapping import MappingTables
from rasa_project.nlu.change_fields import named_field
from rasa_project.nlu.clauses import asks_progress, clauses
from rasa_project.nlu.extractor import (
    entity_dict,
    extract_entities,
    find_entity_spans,
    is_bare_answer,
    names_old_value,
)
from rasa_project.nlu.lexicon import alias_index_for
from rasa_project.nlu.questions import is_question
from rasa_project.nlu.replies import button_press, confirm_tag, stop_intent, symbols_only
from rasa_project.nlu.undo import undo_request
from rasa_project.ordering import approval_desk, decision_words, rules
from rasa_project.ordering.approval_desk import ApprovalDesk
from rasa_project.ordering.delay_risk import DelayRisk, option_number
from rasa_project.ordering.reports import OutputReports, is_correction, refers_to_last_report
from rasa_project.ordering.service import WorkflowService
from rasa_project.outcomes import Message, Outcome, ok, refused
from rasa_project.values import apply_delta, figure, format_order_no, iso, read_quantity

OPEN_STATUSES = tuple(s for s in OrderStatus if s.is_open)
LIST_LIMIT = 20  # lines in one chat answer; the rest are counted
PICK_LIMIT = 5  # order buttons offered for a report that names no order
# a message of nothing but such names while a summary waits is asked about, not a new create form
BARE_NAME_KINDS = frozenset({"material", "work_center", "production_type"})

OFFER_FILLER = re.compile(r"[\s,.，。、!！~～:：]+")  # punctuation around a typed answer to an offer of orders
# what a summary answer waits for, by its outcome key
PROPOSED_REPORT = frozenset({"report.confirm_summary", "report.confirm_correction"})
# the fields a person may amend at a confirmation step ("wait, make it 600"), by pending kind
AMENDABLE = {
    Pending.DRAFT: ("quantity", "quantity_delta", "due_date", "work_center", "material", "production_type"),
    Pending.CHANGE: ("quantity", "quantity_delta", "due_date", "work_center"),
    Pending.REPORT: ("good_qty", "scrap_qty", "quantity", "quantity_delta"),
}
# what a pending summary cannot take as an amendment: a message naming it is a request of its own
# (a report is of its order's material at its work center; a change keeps its order's material)
NAMES_ITS_OWN = {
    Pending.REPORT: ("material", "work_center"),
    Pending.CHANGE: ("material",),
}


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()  # Answer.pending: leave what the conversation waits for as it is


@dataclass(frozen=True)
class Answer:
    """What to tell the person (``outcome``) and what the conversation waits for next."""

    outcome: Outcome
    pending: Any = KEEP  # a ``Pending`` string ("draft:12", "change:CR-000012"), None, or KEEP
    asks_yes_no: bool = False  # offer Confirm / Cancel (tagged with ``pending``'s summary)
    choices: tuple = ()  # other buttons: (title Message, chat-text Message) pairs, said in the reply's language
    key: str = ""  # recorded with the reply in the audit trail; the outcome's key unless given

    @property
    def reply_key(self) -> str:
        return self.key or self.outcome.key


@dataclass(frozen=True)
class SlotCheck:
    """A form slot's answer, validated: ``value`` is what the slot keeps (None: ask again)."""

    value: Any
    outcome: Outcome


# what a validated value is stored as in its slot (and handed to prepare_draft)
SLOT_VALUE: Mapping[str, Callable[[Any], Any]] = {
    "material": lambda resolved: resolved.mapping.chat_code,
    "quantity": float,
    "due_date": iso,
    "production_type": lambda kind: kind.bill_type,
    "work_center": lambda center: center.number,
}


class ChatUseCases:
    def __init__(
        self,
        *,
        access: Access,
        workflow: WorkflowService,
        reports: OutputReports,
        desk: ApprovalDesk,
        k3,
        tables: Callable[[], MappingTables],
        clock: BusinessClock,
        start_worker: Callable[[], Any],
        risk: DelayRisk | None = None,
    ) -> None:
        self.access = access
        self.workflow = workflow
        self.reports = reports
        self.desk = desk
        self.k3 = k3
        self.tables = tables  # the mapping tables as they are now (reloaded when the YAML changes)
        self.clock = clock
        self.start_worker = start_worker
        self.risk = risk  # delay risk and rescheduling (issue 15)
        # what a "yes" / "no" does to each kind of pending thing, and who may say it
        self._pending = {
            Pending.DRAFT: (ORDER_CREATE, self._confirm_draft, self._cancel_draft),
            Pending.CHANGE: (ORDER_CHANGE, self.workflow.confirm_change, self.workflow.cancel_change),
            Pending.REPORT: (
                REPORT_OUTPUT,
                lambda ref, by: self.reports.confirm_proposal(int(ref), by),
                lambda ref, by: self.reports.cancel_proposal(int(ref), by),
            ),
            Pending.VOID: (
                REPORT_OUTPUT,
                lambda ref, by: self.reports.void(int(ref), by),
                lambda ref, by: ok("report.void_kept"),
            ),
            Pending.WITHDRAW: (
                ORDER_CREATE,
                self.workflow.withdraw_order,
                self.workflow.keep_order,
            ),
            # an offer of orders for a report is answered by an order, not by a "yes"
            Pending.PICK: (REPORT_OUTPUT, self._pick_first, lambda ref, by: ok("dialog.cancelled")),
            # the bot asked what to change ("要把 P20250403 改成什么？"): a "yes" is no answer, it asks again
            Pending.ASK: (ORDER_CHANGE, self._ask_again, lambda ref, by: ok("dialog.cancelled")),
        }

    # -- every turn -----------------------------------------------------------------------------
    def gate(self, turn: Turn, permission: str) -> Outcome | None:
        """None if the person may; else the refusal (audited either way)."""
        return self.access.gate(turn, permission)

    def record_understood(self, turn: Turn, action: str) -> None:
        self.access.record_understood(turn, action)

    def record_reply(self, turn: Turn, *, key: str, text: str) -> None:
        self.access.record_reply(turn, key=key, text=text)

    # -- creating an order ----------------------------------------------------------------------
    def ask(self, turn: Turn, slot: str, slots: Mapping[str, Any]) -> Question:
        """The form's next question, with the choices as buttons."""
        return question_for(slot, dict(slots), turn.lang, self.tables())

    def check_slot(self, turn: Turn, slot: str, value: Any) -> SlotCheck:
        """Read a form answer as the question asked and validate it live."""
        value = answer_value(slot, value, self.tables(), self.clock.today())
        check = {
            "material": self.workflow.check_material,
            "quantity": self.workflow.check_quantity,
            "due_date": self.workflow.check_finish_date,
            "production_type": self.workflow.check_production_type,
            "work_center": self.workflow.check_work_center,
        }[slot]
        outcome = check(value)
        return SlotCheck(SLOT_VALUE[slot](outcome.value) if outcome.ok else None, outcome)

    def form_values(self, turn: Turn) -> dict[str, Any]:
        """The form's values in a message that lists several ("BOM-2051, 220 pcs, selesai 16 April,
        stamping, standar"), read as a create request whichever intent the model heard (as an output
        report "220" is good pieces and "selesai 16 April" no date). Empty unless it gives at least two
        and is no question, stop or message about an order."""
        if not turn.text.strip() or is_question(turn.text) or stop_intent(turn.text) or confirm_tag(turn.text):
            return {}
        tables = self.tables()
        found = entity_dict(extract_entities(turn.text, tables, self.clock.today(), "create_order",
                                             alias_index_for(tables)))
        if found.get("order_no") or any(found.get(k) not in (None, "") for k in ("good_qty", "scrap_qty")):
            return {}
        values = {slot: found[slot] for slot in SLOT_VALUE if found.get(slot) not in (None, "")}
        return values if len(values) >= 2 else {}

    def prepare_draft(self, turn: Turn, slots: Mapping[str, Any]) -> Answer:
        """The form is complete: persist a draft and ask for the confirmation."""
        values = {
            "material": slots.get("material"),
            "qty": slots.get("quantity"),
            "plan_finish": slots.get("due_date"),
            "production_type": slots.get("production_type"),
            "work_center": slots.get("work_center"),
        }
        outcome = self.workflow.prepare_draft(turn.staff_id, turn.conversation_id, values)
        if not outcome.ok:
            return Answer(outcome)
        return Answer(outcome, pending=str(Pending(Pending.DRAFT, str(outcome.value.id))), asks_yes_no=True)

    # -- yes / no -------------------------------------------------------------------------------
    def confirm(self, turn: Turn, pending_slot: Any) -> Answer:
        """A "yes": writes to K/3 only for the person who asked, only after the permission gate."""
        pending = parse_pending(pending_slot)
        stale = self._stale_press(turn, pending)
        if stale is not None:
            return stale
        if symbols_only(turn.text):
            return self._yes_in_words(turn, pending)
        if pending is None:
            return self._finish_offered_order(turn)
        permission, yes, _no = self._pending[pending.kind]
        refusal = self.access.gate(turn, permission)
        if refusal is not None:
            return Answer(refusal, pending=None, key="authz.refused")
        outcome = yes(pending.ref, turn.staff_id)
        self.access.record_decision(
            turn,
            order_bill_no=getattr(outcome.value, "bill_no", None),
            decision="confirm",
            pending=str(pending),
            outcome=outcome.key,
        )
        if outcome.key in RETRY_SAME_CONFIRMATION or pending.kind in (Pending.PICK, Pending.ASK):
            return Answer(outcome)  # the person was told to confirm again (or to pick): keep what is pending
        self._plan_changed(outcome)
        return Answer(outcome, pending=None)

    def _yes_in_words(self, turn: Turn, pending: Pending | None) -> Answer:
        """"👍" / "👌" / "✅" while something waits: nothing is written; the person is asked for an
        explicit yes or the button (what waits keeps waiting, its buttons offered again)."""
        if pending is not None:
            return Answer(refused("dialog.confirm_in_words"), pending=str(pending), asks_yes_no=True)
        if self.reports.open_finish_offer(turn.conversation_id) is not None:
            return Answer(refused("dialog.confirm_in_words"))
        return Answer(refused("dialog.nothing_pending"))

    def _plan_changed(self, outcome: Outcome) -> None:
        """A change reached K/3: delay risk re-evaluates (a worse order warns the PMC group)."""
        bill_no = getattr(outcome.value, "bill_no", None)
        if self.risk is not None and bill_no and outcome.key == "workflow.change_applied":
            self.risk.after_report(bill_no)

    def cancel(self, turn: Turn, pending_slot: Any) -> Answer:
        """A "no" to what is pending: nothing is written."""
        pending = parse_pending(pending_slot)
        stale = self._stale_press(turn, pending)
        if stale is not None:
            return stale
        if pending is None:
            return Answer(refused("dialog.nothing_pending"))
        _permission, _yes, no = self._pending[pending.kind]
        return Answer(no(pending.ref, turn.staff_id), pending=None)

    @staticmethod
    def _stale_press(turn: Turn, pending: Pending | None) -> Answer | None:
        """A Confirm / Cancel button of an older summary: refused, what is pending stays."""
        tag = confirm_tag(turn.text)
        if tag is None or (pending is not None and tag == pending.tag):
            return None
        return Answer(refused("dialog.stale_confirmation"), key="dialog.stale_confirmation")

    def _confirm_draft(self, ref: str, by: str) -> Outcome:
        return self.workflow.confirm_draft(int(ref), by)

    def _cancel_draft(self, ref: str, by: str) -> Outcome:
        return self.workflow.cancel_draft(int(ref), by)

    def _finish_offered_order(self, turn: Turn) -> Answer:
        """A PMC "确认" after the group was told an order reached its quantity finishes it in K/3."""
        bill_no = self.reports.open_finish_offer(turn.conversation_id)
        if bill_no is None:
            return Answer(refused("dialog.nothing_pending"))
        refusal = self.access.gate(turn, ORDER_CHANGE)
        if refusal is not None:
            return Answer(refusal, key="authz.refused")
        return Answer(self.reports.finish_order(bill_no, turn.staff_id, turn.conversation_id))

    # -- changing an order ----------------------------------------------------------------------
    @staticmethod
    def reads_as_decision(turn: Turn) -> bool:
        """"MO000124 这个不批，控制板库存不够" or "ok setuju MO000124, stok kontrol nanti ditambah"
        states a manager's decision even when the model heard a stock question or a change: a
        decision phrase, no question, and no new value for the order."""
        if turn.intent in ("approve", "reject") or decision_words.decision_in(turn.text) is None:
            return False
        return not any(turn.entity(name) for name in ("quantity", "due_date", "work_center", "good_qty", "scrap_qty"))

    @classmethod
    def decides_a_request(cls, turn: Turn) -> bool:
        """"MO000124 暂时不批 等下周物料到了再说" (heard as a cancel), "MO000124 no, we can't spare the
        boards" (a no): it names an order or a change request ("CR-000012") and states a decision, and
        is no undo ("no, cancel MO000134" withdraws the order)."""
        if not (turn.entity("order_no") or approval_desk.ref_in(turn.text or "")):
            return False
        if undo_request(turn.text, turn.entity("order_no")) is not None:
            return False
        return cls.reads_as_decision(turn)

    def reads_as_report(self, turn: Turn) -> bool:
        """"today stamping made 300 motor housings, 2 scrap" heard as a create: scrap pieces, or good
        pieces made "today" with no other finish date, are what was made, never an order to make."""
        if turn.entity("scrap_qty"):
            return True
        due = turn.entity("due_date")
        return bool(turn.entity("good_qty")) and (not due or due == iso(self.clock.today()))

    def name_while_pending(self, turn: Turn, pending_slot: Any) -> Answer | None:
        """A bare name ("冲压车间", "标准生产订单", "rumah motor") while a summary waits is no new
        request: it would start a create form and drop the summary. Asked what it means instead;
        what waits keeps waiting (its buttons offered again). None when it is not that case."""
        pending = parse_pending(pending_slot)
        if pending is None or not turn.text.strip():
            return None
        tables = self.tables()
        spans = find_entity_spans(turn.text, tables, self.clock.today(), alias_index_for(tables))
        if not spans or any(sp.kind not in BARE_NAME_KINDS for sp in spans) or not is_bare_answer(turn.text, spans):
            return None
        return Answer(refused("dialog.name_while_pending", name=turn.text.strip()), pending=str(pending),
                      asks_yes_no=True)

    def reads_as_worker_report(self, turn: Turn) -> bool:
        """"P20250403 jadi 90 pcs" heard as a change from someone who may report output but may not
        change orders: an order and a number, no date, work center or "more / less", no question. The
        only thing they can mean is what was made; it is a summary that waits for their Confirm."""
        if not turn.entity("order_no") or not (turn.entity("quantity") or turn.entity("good_qty")):
            return False
        if any(turn.entity(name) for name in ("due_date", "work_center", "quantity_delta")) or is_question(turn.text):
            return False
        may = self.access.authorizer.check
        return may(turn.staff_id or "", REPORT_OUTPUT).allowed and not may(turn.staff_id or "", ORDER_CHANGE).allowed

    def corrects_last_report(self, turn: Turn) -> bool:
        """"改一下，刚才是110个" reads like a change but corrects the sender's last output report; so does
        "eh rejectnya cuma 1, bukan 3" (no order named, an old figure replaced) from someone who reports."""
        if refers_to_last_report(turn.text):
            return True
        if not self._corrects_without_order(turn):
            return False
        return self.access.authorizer.check(turn.staff_id or "", REPORT_OUTPUT).allowed

    @staticmethod
    def ends_with_progress_question(turn: Turn) -> bool:
        """"早上开会说…电机外壳那边先准备着，对了P20250401现在做到多少了？": a long message whose last clause
        asks an order's progress is that question, whatever material its earlier clauses name."""
        parts = clauses(turn.text or "")
        return len(parts) >= 2 and asks_progress(parts[-1])

    @staticmethod
    def asks_question(turn: Turn) -> bool:
        """"can we finish 500 of P20250403 today?": answered as a query, never a write."""
        return is_question(turn.text)

    @staticmethod
    def undo_kind(turn: Turn, pending_slot: Any = None) -> str | None:
        """"void" ("作废刚才的报工"), "withdraw" ("取消工单 MO000134", "刚才那个工单建错了，取消掉") or None.
        While a create summary waits, "取消刚才的工单" with no number is a "no" to that summary."""
        if confirm_tag(turn.text) is not None:  # "batal #report-7" is that summary's Cancel button
            return None
        kind = undo_request(turn.text, turn.entity("order_no"))
        pending = parse_pending(pending_slot)
        if kind == "withdraw" and not turn.entity("order_no") and pending is not None and pending.kind == Pending.DRAFT:
            return None
        return kind

    def request_change(self, turn: Turn) -> Answer:
        """Record and check a change; a low-risk one waits for "yes", a risky one goes to the managers.
        "再加50 / kurangi 30 / 50 more" change the quantity K/3 has now; the summary shows old -> new."""
        bill_no = turn.entity("order_no")
        if not bill_no:
            return Answer(refused("ask.which_order"))
        qty, finish, center = turn.entity("quantity"), turn.entity("due_date"), turn.entity("work_center")
        delta = turn.entity("quantity_delta")
        if qty is None and finish is None and center is None and delta is None:
            return self._ask_change(bill_no, named_field(turn.text))
        return self._request_change(turn, bill_no, qty=qty, delta=delta, finish=finish, center=center)

    def _ask_change(self, bill_no: str, field: str | None) -> Answer:
        """"P20250403 的数量帮我改一下": the question for the value of the field named (with the value
        K/3 has now), else what to change; the conversation waits for the answer ("550")."""
        bill_no = format_order_no(bill_no)
        pending = str(Pending(Pending.ASK, AskedChange(bill_no, field or "").ref))
        order = self.k3.get_order(bill_no) if field else None
        if field and order is None:
            return Answer(refused("order.not_found", bill_no=bill_no), pending=None)
        if field == "quantity":
            qty = f"{figure(order.qty)} {order.unit}".strip()
            return Answer(refused("ask.change_quantity", bill_no=bill_no, qty=qty), pending=pending)
        if field == "due_date":
            return Answer(refused("ask.change_due_date", bill_no=bill_no, finish=iso(order.plan_finish)),
                          pending=pending)
        if field == "work_center":
            return Answer(refused("ask.change_work_center", bill_no=bill_no, work_center=order.work_center),
                          pending=pending)
        return Answer(refused("ask.what_change", bill_no=bill_no), pending=pending)

    def _ask_again(self, ref: str, by: str) -> Outcome:
        asked = AskedChange.from_ref(ref)
        return refused("ask.what_change", bill_no=asked.bill_no if asked else "")

    # values that answer "what should change on P20250403?"
    CHANGE_ANSWER = ("quantity", "quantity_delta", "due_date", "work_center")

    def change_answer(self, turn: Turn, pending_slot: Any) -> dict[str, Any] | None:
        """The values ``turn`` gives in answer to the bot's own change question ("2200", "改成550吧",
        "jadi 20 April", "assembly"), read from the text as a change (the model hears a bare "550" as
        an output report). None when it is not that: nothing asked, a question, a stop, a button, a
        message naming another order, a material, good / scrap pieces, or a request of its own."""
        pending = parse_pending(pending_slot)
        if pending is None or pending.kind != Pending.ASK or confirm_tag(turn.text) is not None:
            return None
        asked = AskedChange.from_ref(pending.ref)
        if asked is None or not turn.text.strip() or is_question(turn.text) or stop_intent(turn.text):
            return None
        tables = self.tables()
        index = alias_index_for(tables)
        spans = find_entity_spans(turn.text, tables, self.clock.today(), index)
        entities = extract_entities(turn.text, tables, self.clock.today(), "change_order", index)
        if any(e.entity in ("material", "good_qty", "scrap_qty", "production_type") for e in entities):
            return None
        if any(e.entity == "order_no" and format_order_no(e.value) != asked.bill_no for e in entities):
            return None
        values = {e.entity: e.value for e in entities if e.entity in self.CHANGE_ANSWER}
        if not values:
            return None
        # the rest is a few words ("改成", "jadi", "make it", "aja"), not a request of its own
        rest = OFFER_FILLER.sub(" ", "".join(" " if any(sp.start <= i < sp.end for sp in spans) else ch
                                             for i, ch in enumerate(unicodedata.normalize("NFKC", turn.text))))
        if len(rest.split()) > 4 or len(rest.replace(" ", "")) > 16:
            return None
        return values

    def answer_change(self, turn: Turn, pending_slot: Any) -> Answer:
        """"550" after "要把 P20250403 改成什么？": the change it answers, checked as any change (the
        summary old -> new waits for Confirm, or the managers are asked)."""
        values = self.change_answer(turn, pending_slot)
        asked = AskedChange.from_ref(parse_pending(pending_slot).ref) if values is not None else None
        if values is None or asked is None:
            return Answer(refused("dialog.nothing_pending"))
        return self._request_change(
            turn, asked.bill_no, qty=values.get("quantity"), delta=values.get("quantity_delta"),
            finish=values.get("due_date"), center=values.get("work_center"),
        )

    @staticmethod
    def pressed(turn: Turn) -> str | None:
        """"confirm" / "cancel" when ``turn`` is a press of a summary's Confirm / Cancel button
        ("batal #report-7", "取消 #draft-12"), whichever intent the model heard; else None."""
        return button_press(turn.text)

    def _request_change(self, turn: Turn, bill_no: str, *, qty, delta, finish, center) -> Answer:
        if qty is None and delta is not None:
            order = self.k3.get_order(bill_no)
            if order is None:
                return Answer(refused("order.not_found", bill_no=bill_no))
            qty, refusal = rules.quantity_after_delta(bill_no, order.qty, delta)
            if refusal is not None:
                return Answer(refusal)
        outcome = self.workflow.request_change(
            bill_no, turn.staff_id, turn.conversation_id, qty=qty, plan_finish=finish, work_center=center
        )
        change = outcome.value
        if outcome.ok and outcome.key == "workflow.change_checked":
            return Answer(outcome, pending=str(Pending(Pending.CHANGE, change.ref)), asks_yes_no=True)
        if outcome.key == "workflow.change_needs_approval" and change is not None:
            self.start_worker()  # it reminds the managers and expires what nobody decides
            self.desk.ask_managers(change)
        return Answer(outcome, pending=None)

    def decide(self, turn: Turn) -> Answer:
        """A manager's approve / reject: typed, a dtmd:// card button, or a card payload."""
        order_no = turn.entity("order_no")
        read = decision_words.read_decision(turn.text, order_no)
        if turn.text.lstrip().startswith("/") or read.decision is None:  # a payload names its intent
            decision = approval_desk.REJECT if turn.intent == "reject" else approval_desk.APPROVE
        else:  # "这个不批" may reach the model as approve; the words decide
            decision = read.decision
        note = read.note if not turn.text.lstrip().startswith("/") else ""
        self.start_worker()
        outcome = self.desk.decide(
            turn.staff_id,
            turn.conversation_id,
            decision,
            order_no=order_no,
            ref=approval_desk.ref_in(turn.text),
            note=note,
        )
        self._plan_changed(outcome)
        return Answer(outcome)

    # -- the shop floor -------------------------------------------------------------------------
    def report_output(self, turn: Turn) -> Answer:
        """An output report ("P20250401 完成 120，报废 4") or a correction of the last one
        ("刚才报错了，应该是 280"): the summary of what would be written (order, good, scrap, the
        cumulative and completion % it leads to), waiting for Confirm / Cancel. Nothing is written."""
        self.start_worker()  # it also retries the group notices
        good = turn.entity("good_qty") or turn.entity("quantity")
        scrap = turn.entity("scrap_qty")
        if good is None and scrap is None and turn.entity("quantity_delta") and turn.entity("order_no"):
            # "MO000134 再加50个" read as a report: it changes the order's quantity
            refusal = self.access.gate(turn, ORDER_CHANGE)
            if refusal is not None:
                return Answer(refusal, key="authz.refused")
            return self.request_change(turn)
        names_where = bool(turn.entity("material") or turn.entity("work_center"))
        if is_correction(turn.text, names_where=names_where) or self._corrects_without_order(turn):
            outcome = self.reports.propose_correction(
                turn.staff_id,
                good,
                scrap,
                conversation_id=turn.conversation_id,
                bill_no=turn.entity("order_no"),
                message_id=turn.message_id,
            )
        else:
            if not turn.entity("order_no") and (turn.entity("material") or turn.entity("work_center")):
                return self._which_order_to_report(turn, good, scrap)
            if turn.entity("order_no") and good is None and scrap is None and not any(
                    turn.entity(name) for name in ("quantity_delta", "due_date", "material", "work_center")):
                return self._ask_figures(turn.entity("order_no"))
            outcome = self.reports.propose(
                turn.entity("order_no"), good, scrap, turn.staff_id, turn.conversation_id, message_id=turn.message_id
            )
        return self._report_answer(outcome)

    def _corrects_without_order(self, turn: Turn) -> bool:
        """"my bad, that last report should've been 30 not 35", "eh NG nya cuma 2, bukan 5": no order
        named, and the message points back at the last report or names the old figure it replaces."""
        if any(turn.entity(name) for name in ("order_no", "material", "work_center")):
            return False  # "刚才冲压做了300个" names where: a report of its own (which order is asked)
        return refers_to_last_report(turn.text) or names_old_value(turn.text, self.tables(), self.clock.today())

    def _report_answer(self, outcome: Outcome) -> Answer:
        outcome = self._reporter_named(outcome)
        if outcome.key in PROPOSED_REPORT:
            return Answer(outcome, pending=str(Pending(Pending.REPORT, str(outcome.value.id))), asks_yes_no=True)
        return Answer(outcome)

    def _which_order_to_report(self, turn: Turn, good: Any, scrap: Any) -> Answer:
        """"冲压今天做了300个电机壳，报废2个" names no order: offer the open released / started orders
        of that material and work center (one K/3 query), each button sending the same report with
        its order number, so the report path itself (checks, confirmation) takes it from there."""
        g, s = (read_quantity(q).value for q in (good, scrap))
        if (g or 0) <= 0 and (s or 0) <= 0:  # no pieces read: nothing to carry over to an order
            return Answer(refused("report.which_order"))
        tables = self.tables()
        mapped = tables.material(turn.entity("material")) if turn.entity("material") else None
        center = turn.entity("work_center")
        if turn.entity("material") and mapped is None:
            return Answer(refused("report.which_order"))
        orders = self.k3.list_orders(
            work_center=center or None,
            material_numbers=[mapped.k3_number] if mapped else None,
            statuses=(OrderStatus.RELEASED, OrderStatus.STARTED),
        )
        orders = sorted(orders, key=lambda o: (o.plan_finish, o.bill_no))
        good_text, scrap_text = figure(g or 0), figure(s or 0)
        where = {
            "material": lists.in_every_language(mapped.display_name) if mapped else "",
            "work_center": center or "",
        }
        if not orders:
            return Answer(refused("report.pick_none", **where))
        today = self.clock.today()
        shown = orders[:PICK_LIMIT]
        choices = tuple(
            (Message("report.pick_button", {"bill_no": o.bill_no, "good": figure(o.reported_good),
                                            "qty": figure(o.qty)}),
             Message("report.pick_payload", {"bill_no": o.bill_no, "good": good_text, "scrap": scrap_text}))
            for o in shown
        )
        offer = OfferedReport(tuple(o.bill_no for o in shown), good_text, scrap_text)
        return Answer(
            refused("report.pick_order", details=tuple(lists.order_line(o, tables, today) for o in shown),
                    good=good_text, scrap=scrap_text, count=len(orders), **where),
            choices=choices,
            pending=str(Pending(Pending.PICK, offer.ref)),  # a typed order number answers it as a press does
        )

    @staticmethod
    def _ask_figures(bill_no: str) -> Answer:
        """"mau lapor hasil P20250402" names the order, not the pieces: ask for them; the answer ("250",
        "合格 200 报废 3") is that order's report summary (an offer of this one order, no figures yet)."""
        bill_no = format_order_no(bill_no)
        offer = OfferedReport((bill_no,), "", "")
        return Answer(refused("report.ask_figures", bill_no=bill_no), pending=str(Pending(Pending.PICK, offer.ref)))

    def _figures_answer(self, turn: Turn) -> tuple[Any, Any] | None:
        """The good / scrap pieces ``turn`` gives in answer to "how much for P20250402?" ("250", "200 ok
        3 ng"), read from the text as a report: nothing else of its own (no other order, date, material,
        work center, question or stop)."""
        if not turn.text.strip() or is_question(turn.text) or stop_intent(turn.text) or confirm_tag(turn.text):
            return None
        tables = self.tables()
        found = entity_dict(extract_entities(turn.text, tables, self.clock.today(), "report_progress",
                                             alias_index_for(tables)))
        if any(found.get(k) not in (None, "") for k in ("order_no", "due_date", "material", "work_center",
                                                         "production_type", "quantity_delta")):
            return None
        good, scrap = found.get("good_qty") or found.get("quantity"), found.get("scrap_qty")
        return (good, scrap) if good is not None or scrap is not None else None

    def answers_offer(self, turn: Turn, pending_slot: Any) -> bool:
        """Whether ``turn`` answers an offer of orders for a report by naming one order ("就是P20250402",
        "yang P20250402", "P20250402 that one"): one order number, no figures or other values of its
        own (those are a report of their own, e.g. the button's text), and no question."""
        pending = parse_pending(pending_slot)
        if pending is None or pending.kind != Pending.PICK or is_question(turn.text):
            return False
        offer = OfferedReport.from_ref(pending.ref)
        if offer is not None and not offer.good and not offer.scrap:  # the bot asked for the pieces
            return self._figures_answer(turn) is not None
        return self._offer_answer(turn) is not None

    def _offer_answer(self, turn: Turn) -> str | None:
        """The one order number ``turn`` names and nothing else of its own (no number, date, material
        or work center), read from the text itself: the model drops the entities of a message it
        hears as off-topic ("就是P20250402")."""
        tables = self.tables()
        spans = find_entity_spans(turn.text, tables, self.clock.today(), alias_index_for(tables))
        if any(sp.kind in ("number", "due_date", "start_date", "material", "work_center") for sp in spans):
            return None
        if undo_request(turn.text, "order") is not None:  # "取消 P20250401" is an undo, not a pick
            return None
        # the rest is a few pointing words ("就是", "yang itu", "that one"), not a request of its own
        rest = OFFER_FILLER.sub(" ", "".join(" " if any(sp.start <= i < sp.end for sp in spans) else ch
                                             for i, ch in enumerate(turn.text)))
        if len(rest.split()) > 3 or len(rest.replace(" ", "")) > 12:
            return None
        orders = {format_order_no(sp.value) for sp in spans if sp.kind == "order_no"}
        return orders.pop() if len(orders) == 1 else None

    def report_to_offered_order(self, turn: Turn, pending_slot: Any) -> Answer:
        """The typed answer to an offer of orders: the offered report for that order, exactly as its
        button would send it (the same summary, waiting for Confirm). An order that was not offered
        is refused by name; the offer keeps waiting."""
        pending = parse_pending(pending_slot)
        offer = OfferedReport.from_ref(pending.ref) if pending is not None and pending.kind == Pending.PICK else None
        if offer is None:
            return Answer(refused("dialog.nothing_pending"))
        if not offer.good and not offer.scrap:
            figures = self._figures_answer(turn)
            if figures is None:
                return Answer(refused("report.ask_figures", bill_no=offer.bill_nos[0]), pending=str(pending))
            outcome = self.reports.propose(offer.bill_nos[0], figures[0], figures[1], turn.staff_id,
                                           turn.conversation_id, message_id=turn.message_id)
            return self._report_answer(outcome)
        bill_no = self._offer_answer(turn)
        if bill_no is None:
            return Answer(refused("report.pick_first", offered=", ".join(offer.bill_nos)))
        if bill_no not in offer.bill_nos:
            return Answer(refused("report.pick_not_offered", bill_no=bill_no, offered=", ".join(offer.bill_nos)))
        outcome = self.reports.propose(bill_no, offer.good, offer.scrap, turn.staff_id, turn.conversation_id,
                                       message_id=turn.message_id)
        return self._report_answer(outcome)

    @staticmethod
    def _pick_first(ref: str, by: str) -> Outcome:
        offer = OfferedReport.from_ref(ref)
        if offer is not None and not offer.good and not offer.scrap:  # a "yes" is no figure: ask again
            return refused("report.ask_figures", bill_no=offer.bill_nos[0])
        return refused("report.pick_first", offered=", ".join(offer.bill_nos) if offer else "")

    # -- undo -----------------------------------------------------------------------------------
    def void_last_report(self, turn: Turn) -> Answer:
        """"作废刚才的报工" / "batalkan laporan tadi" / "void my last report": the reporter's own last
        report (within the correction window), shown with what the order comes back to; Confirm voids it."""
        outcome = self.reports.propose_void(
            turn.staff_id, conversation_id=turn.conversation_id, bill_no=turn.entity("order_no")
        )
        if outcome.key == "report.confirm_void":
            return Answer(outcome, pending=str(Pending(Pending.VOID, str(outcome.value.id))), asks_yes_no=True)
        return Answer(self._reporter_named(outcome))

    def _reporter_named(self, outcome: Outcome) -> Outcome:
        """"The last report was made by Budi Santoso", not by "prod0002": people are named as the
        directory names them (the staff id stays when the directory does not know it)."""
        staff_id = outcome.values.get("reporter") if outcome.key == "report.correction_not_yours" else None
        if not staff_id:
            return outcome
        name = self.access.authorizer.check(str(staff_id), REPORT_OUTPUT).person_name
        return replace(outcome, values={**outcome.values, "reporter": name}) if name else outcome

    def withdraw_order(self, turn: Turn) -> Answer:
        """"取消工单 MO000134" / "delete MO000134": an order its requester created here and nobody
        has started; K/3 deletes it (UnAudit + Delete) after Confirm. Released orders are refused.
        "刚才那个工单建错了，帮我取消掉" names no number: the order this person created last here."""
        bill_no = turn.entity("order_no") or self.workflow.last_created(turn.staff_id, turn.conversation_id)
        if not bill_no:  # "刚才那个工单" with no order created here: which one?
            return Answer(refused("ask.which_order"))
        outcome = self.workflow.propose_withdraw(bill_no, turn.staff_id)
        if outcome.key == "workflow.withdraw_summary":
            return Answer(outcome, pending=str(Pending(Pending.WITHDRAW, outcome.value.bill_no)), asks_yes_no=True)
        return Answer(outcome)

    # -- amending a summary ---------------------------------------------------------------------
    def amend_values(self, turn: Turn, pending_slot: Any) -> dict[str, Any] | None:
        """The fields ``turn`` changes in what is pending ("等等，改成600", "eh jadi 600 aja"), or
        None when it is not about the pending summary (it names an order, or nothing to amend)."""
        pending = parse_pending(pending_slot)
        if pending is None or pending.kind not in AMENDABLE or confirm_tag(turn.text) is not None:
            return None  # a Confirm / Cancel button ("取消 #report-7") carries no new value
        entities = dict(turn.entities)
        if not any(entities.get(name) not in (None, "") for name in AMENDABLE[pending.kind]):
            # an off-topic reading keeps no entities: read the values as a change would
            intent = "report_progress" if pending.kind == Pending.REPORT else "change_order"
            entities = entity_dict(extract_entities(turn.text, self.tables(), self.clock.today(), intent))
        values = {k: entities[k] for k in AMENDABLE[pending.kind] if entities.get(k) not in (None, "")}
        if not values:
            return None
        if entities.get("order_no"):
            return None  # a message naming an order is a request of its own, checked as such
        if any(entities.get(name) not in (None, "") for name in NAMES_ITS_OWN.get(pending.kind, ())):
            # "today stamping made 2 motor housings" while P20250403's report waits: another order's report
            return None
        return values

    def amend(self, turn: Turn, pending_slot: Any) -> Answer | None:
        """Show the pending summary again with ``turn``'s values; the older summary can no longer be
        confirmed (it is superseded). None when there is nothing to amend."""
        values = self.amend_values(turn, pending_slot)
        if values is None:
            return None
        pending = parse_pending(pending_slot)
        if pending.kind == Pending.DRAFT:
            return self._amend_draft(turn, int(pending.ref), values)
        if pending.kind == Pending.CHANGE:
            return self._amend_change(turn, pending.ref, values)
        return self._amend_report(turn, int(pending.ref), values)

    def _amend_draft(self, turn: Turn, draft_id: int, values: dict) -> Answer | None:
        draft = self.workflow.get_draft(draft_id)
        if draft is None or draft.requester != turn.staff_id or draft.state.value != "draft":
            return None
        old = draft.summary
        qty = values.get("quantity")
        if qty is None and values.get("quantity_delta") is not None:
            qty = apply_delta(float(old["qty"]), values["quantity_delta"])
        merged = {
            "material": values.get("material") or old["material_code"],
            "qty": qty if qty is not None else old["qty"],
            "plan_finish": values.get("due_date") or old["plan_finish"],
            "production_type": values.get("production_type") or old["bill_type"],
            "work_center": values.get("work_center") or old["work_center"],
            "plan_start": old.get("plan_start"),
        }
        outcome = self.workflow.prepare_draft(turn.staff_id, turn.conversation_id, merged)
        if not outcome.ok:
            return Answer(outcome)  # the older summary still waits
        self.workflow.cancel_draft(draft_id, turn.staff_id)
        return Answer(outcome, pending=str(Pending(Pending.DRAFT, str(outcome.value.id))), asks_yes_no=True)

    def _amend_change(self, turn: Turn, ref: str, values: dict) -> Answer | None:
        change = self.workflow.get_change(ref)
        if change is None or change.requester != turn.staff_id:
            return None
        qty = values.get("quantity")
        delta = values.get("quantity_delta")
        keep_qty = change.new_qty if qty is None and delta is None else None
        return self._request_change(
            turn,
            change.bill_no,
            qty=qty if qty is not None else keep_qty,
            delta=delta,
            finish=values.get("due_date") or (iso(change.new_plan_finish) if change.new_plan_finish else None),
            center=values.get("work_center") or change.new_work_center,
        )

    def _amend_report(self, turn: Turn, row_id: int, values: dict) -> Answer | None:
        row = self.reports.get_proposal(row_id)
        if row is None or row.reporter != turn.staff_id or row.state != "proposed":
            return None
        good = values.get("good_qty") or values.get("quantity")
        if good is None and values.get("quantity_delta") is not None:
            good = apply_delta(row.good, values["quantity_delta"])
        scrap = values.get("scrap_qty")
        if row.corrects_id is not None:
            outcome = self.reports.propose_correction(
                turn.staff_id, good if good is not None else row.good, scrap if scrap is not None else row.scrap,
                conversation_id=turn.conversation_id, bill_no=row.bill_no, message_id=turn.message_id,
            )
        else:
            outcome = self.reports.propose(
                row.bill_no, good if good is not None else row.good, scrap if scrap is not None else row.scrap,
                turn.staff_id, turn.conversation_id, message_id=turn.message_id,
            )
        return self._report_answer(outcome)

    # -- questions answered live from K/3 -------------------------------------------------------
    def query_order(self, turn: Turn) -> Answer:
        bill_nos = turn.entities_named("order_no")
        if len(bill_nos) > 1:
            return self._query_orders(bill_nos)
        bill_no = turn.entity("order_no")
        if not bill_no:
            return Answer(refused("ask.which_order"))
        order = self.k3.get_order(bill_no)
        if order is None:
            return Answer(refused("order.not_found", bill_no=bill_no))
        return Answer(views.order_progress(order, self.tables()))

    def query_stock(self, turn: Turn) -> Answer:
        code = turn.entity("material")
        if not code:
            return Answer(refused("ask.which_material"))
        tables = self.tables()
        mapped = tables.material(code)
        if mapped is None:
            return Answer(refused("stock.unknown_material", material=code))
        levels = self.k3.stock_of([mapped.k3_number])
        material = self.k3.find_material(mapped.k3_number)
        return Answer(views.stock_line(mapped.k3_number, levels.get(mapped.k3_number), material, tables))

    # -- delay risk and rescheduling (issue 15) -------------------------------------------------
    def risk_list(self, turn: Turn) -> Answer:
        """"哪些订单有延期风险" / "which orders are at risk"."""
        return Answer(self.risk.list_at_risk())

    def risk_order(self, turn: Turn) -> Answer:
        """"P20250402 会不会延期": one order's level, projected finish and reason."""
        if not turn.entity("order_no"):
            return self.risk_list(turn)
        return Answer(self.risk.order_risk(turn.entity("order_no")))

    def risk_suggest(self, turn: Turn) -> Answer:
        """"给 P20250402 排产建议": up to three solver options, remembered for this conversation."""
        return Answer(self.risk.suggest(turn.entity("order_no"), turn.conversation_id, turn.staff_id))

    def accept_option(self, turn: Turn) -> Answer:
        """"采用方案2": the option as shown becomes an ordinary change request (old -> new, the
        checks, confirmation or the managers' approval); nothing is written to K/3 here."""
        found = self.risk.shown_option(turn.conversation_id, turn.staff_id, option_number(turn.text),
                                       turn.entity("order_no"))  # fmt: skip
        if not found.ok:
            return Answer(found)
        shown = found.value
        changes = shown.changes
        if not changes and shown.overtime:
            days = ", ".join(f"{d['day'][5:]} +{d['pct']}%" for d in shown.overtime)
            center = shown.overtime[0]["work_center"]
            return Answer(ok("risk.accept_overtime", shown, number=shown.number, work_center=center, days=days))
        own = [c for c in changes if c["bill_no"] == shown.bill_no]
        if len(changes) != 1 or len(own) != 1 or own[0].get("plan_start"):
            steps = ", ".join(f"{c['bill_no']} → {(c.get('plan_finish') or '')[5:] or c.get('qty')}" for c in changes)
            return Answer(refused("risk.accept_resequence", shown, number=shown.number, count=len(changes), steps=steps))
        change = own[0]
        qty = change.get("qty")
        answer = self._request_change(turn, shown.bill_no, qty=qty, delta=None, finish=change.get("plan_finish"), center=None)
        if shown.new_orders and answer.outcome.ok:
            extra = tuple(
                Message("risk.accept_split_next", {"work_center": n["work_center"], "material": n["material"],
                                                   "qty": f"{n['qty']:g}", "finish": n["plan_finish"]})
                for n in shown.new_orders
            )  # fmt: skip
            answer = replace(answer, outcome=replace(answer.outcome, details=answer.outcome.details + extra))
        return answer


    def _query_orders(self, bill_nos: list[str]) -> Answer:
        """"P20250401 和 P20250402 的进度": each order answered, all read from K/3 in one query."""
        found = {o.bill_no: o for o in self.k3.get_orders(bill_nos)}
        tables = self.tables()
        parts = tuple(
            views.order_progress(found[b], tables).message if b in found else Message("order.not_found", {"bill_no": b})
            for b in bill_nos
        )
        return Answer(ok("list.orders_header", details=parts, count=len(bill_nos)))

    # -- lists --------------------------------------------------------------------------------
    def waiting_for_me(self, turn: Turn) -> Answer:
        """A manager's "哪些单子等我审批": the requests sent to them that nobody decided yet."""
        waiting = self.desk.waiting_for(turn.staff_id or "")
        if not waiting:
            return Answer(ok("list.approvals_none"))
        lines: list[Message] = []
        for change in waiting:
            lines.append(self.desk.pending_line(change))
            lines.extend(self.workflow.messages.field_lines(change))
        example = catalog.MESSAGES["approval.chat_approve"]
        return Answer(ok("list.approvals_header", details=tuple(lines), count=len(waiting),
                         example={k: v.format(bill_no=waiting[0].bill_no, ref=waiting[0].ref)
                                  for k, v in example.items()}))

    def my_requests(self, turn: Turn) -> Answer:
        """"我的申请" / "permintaan saya" / "my open requests": the person's change requests not yet final."""
        mine = [c for c in self.workflow.list_changes(requester=turn.staff_id or "") if c.state.is_open]
        if not mine:
            return Answer(ok("list.requests_none"))
        lines: list[Message] = []
        for change in mine:
            lines.append(Message("list.request_line", {
                **self.workflow.messages.labels(change), "ref": change.ref,
                "state": self.workflow.messages.state_name(change.state),
            }))
            lines.extend(self.workflow.messages.field_lines(change))
        return Answer(ok("list.requests_header", details=tuple(lines), count=len(mine)))

    def orders_due(self, turn: Turn) -> Answer:
        """Open orders due today / tomorrow / this week / next week, or late: one K/3 query."""
        tables, today = self.tables(), self.clock.today()
        window = lists.period_in(turn.text, today, tables.calendar) or lists.period(lists.THIS_WEEK, today,
                                                                                     tables.calendar)
        orders = self.k3.list_orders(statuses=OPEN_STATUSES, finish_from=window.start, finish_to=window.end)
        due = lists.due_in(orders, window)
        late = window.kind == lists.LATE
        if not due:
            return Answer(ok("list.late_none" if late else "list.due_none", period=window.name))
        shown = tuple(lists.order_line(o, tables, today) for o in due[:LIST_LIMIT])
        more = (Message("list.more", {"count": len(due) - LIST_LIMIT}),) if len(due) > LIST_LIMIT else ()
        return Answer(ok(
            "list.late_header" if late else "list.due_header", details=shown + more, count=len(due),
            period=window.name, start=iso(window.start) if window.start else "", end=iso(window.end),
            working_days=window.working_days_left,
        ))

    def delete_order(self, turn: Turn) -> Answer:
        """"delete MO000134": orders are not deleted from chat; say what is possible for this one."""
        bill_no = turn.entity("order_no")
        if not bill_no:
            return Answer(refused("list.delete_which"))
        order = self.k3.get_order(bill_no)
        if order is None:
            return Answer(refused("order.not_found", bill_no=bill_no))
        status = dict(catalog.MESSAGES[f"order.status.{int(order.status)}"])
        if not order.status.is_open:
            key = "list.delete_finished"
        elif order.status < OrderStatus.RELEASED:
            key = "list.delete_not_released"
        else:
            key = "list.delete_released"
        return Answer(refused(key, bill_no=bill_no, status=status, good=figure(order.reported_good),
                              scrap=figure(order.reported_scrap)))


def yes_no_buttons(lang: str, pending: Any = None) -> list[tuple[str, str]]:
    """Confirm / Cancel: each button sends its own title back as the person's reply, with the tag
    of the summary it belongs to ("确认 #report-7"), so a press on an older summary is told apart."""
    yes, no = catalog.text("button.confirm", lang), catalog.text("button.cancel", lang)
    waiting = parse_pending(pending)
    if waiting is None:
        return [(yes, yes), (no, no)]
    return [(yes, f"{yes} #{waiting.tag}"), (no, f"{no} #{waiting.tag}")]
