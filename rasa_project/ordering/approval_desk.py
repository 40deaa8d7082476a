"""The approval desk around a risky change: ask the managers, take their decision, tell everyone.

``ask_managers(change)`` sends an approval card (order, old -> new, the stock / capacity figures
that made it risky, Approve / Reject buttons whose dtmd:// chat text is "批准 P20250402" /
"setujui ..." / "approve ...") to every manager in the LDAP group ``managers`` except the
requester (four-eyes), one-to-one, and to the PMC group. ``decide(...)`` resolves which request a
manager means, checks APPROVAL_DECIDE, lets the workflow decide (``ordering/change_decisions.py``:
decided-once and the live re-check live there), then tells the requester and, once applied, the
production group. ``remind`` and ``announce`` are what the background worker (``rasa_project/
worker.py``) calls for reminders, escalation and expiry. Every send goes through the SQL outbox
with a dedupe key, so announcing the same event twice (two workers, a restart) never sends it
twice.

``ref_in`` / ``note_from`` read a manager's message: which request, and the reason written
around the decision.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from dingtalk_client.messages import ActionCard, InteractiveCard, Markdown
from rasa_project import catalog
from rasa_project.authz.directory import DirectoryMember, LdapDirectory
from rasa_project.authz.errors import DirectoryUnavailable
from rasa_project.authz.roles import APPROVAL_DECIDE
from rasa_project.clock import utc_now
from rasa_project.notify.outbox import NotificationOutbox, person_language
from rasa_project.ordering import decision_words
from rasa_project.ordering.change_requests import ChangeRequest
from rasa_project.ordering.states import Change
from rasa_project.outcomes import Message, Outcome, localized, refused
from rasa_project.values import figure, format_order_no

log = logging.getLogger(__name__)

APPROVE, REJECT = "approve", "reject"
# workflow outcome keys after which the requester hears the result
FINAL_KEYS = (
    "workflow.change_applied",
    "workflow.change_rejected",
    "workflow.change_world_changed",
    "workflow.change_k3_rejected",
    "workflow.change_expired",
)


def _lines(*messages: Message, lang: str) -> str:
    # DingTalk markdown needs a blank line for a line break (spec §2)
    return "\n\n".join(m.text(lang) for m in messages)


APPROVAL_TEMPLATE = "dingk3_approval"


def card_track_id(ref: str, staff_id: str) -> str:
    return f"approval-{ref}-{staff_id}"


class ApprovalDesk:
    def __init__(
        self,
        settings,
        workflow,
        outbox: NotificationOutbox,
        *,
        directory: LdapDirectory | None = None,
        authorizer=None,
        audit=None,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        from rasa_project.authz.service import Authorizer

        self.settings = settings
        self.workflow = workflow
        self.outbox = outbox
        self.directory = directory or LdapDirectory(settings)
        self.authorizer = authorizer or Authorizer(settings)
        self.audit = audit
        self.now = now
        self.Session = outbox.Session
        self._names: dict[str, str] = {}
        self.oa = None  # ordering.oa_approvals.OaApprovals, set by the composition root (approval_channel=oa)

    # -- asking -------------------------------------------------------------------------------
    def managers(self, *, except_staff_id: str | None = None) -> list[DirectoryMember]:
        """The managers to ask (LDAP group ``managers``), never the requester themself."""
        members = self.directory.members_of(self.settings.ldap_group_managers)
        return [m for m in members if m.staff_id != except_staff_id]

    def ask_managers(self, change: ChangeRequest) -> list[str]:
        """Send the approval card to each manager 1:1 and to the PMC group; returns who was asked.
        With ``approval_channel=oa`` the request goes to the approvers' OA to-do list instead (the
        same path as new orders, escalation chain included), and the group card links to it."""
        if getattr(self.settings, "approval_channel", "cards") == "oa" and self.oa is not None:
            return self._ask_in_oa(change)
        try:
            managers = self.managers(except_staff_id=change.requester)
        except DirectoryUnavailable:
            # the group card still goes out; the worker's reminders ask the managers 1:1 later
            log.warning("managers of %s unknown: directory unavailable", change.ref)
            managers = []
        requester = self._name(change.requester)
        for m in managers:
            lang = person_language(self.Session, m.staff_id, m.name, m.preferred_language)
            card = self._card(change, lang, requester)
            if self.settings.approval_card == "interactive":
                card = self._interactive(change, card, m.staff_id)
            self.outbox.send(f"ask:{change.ref}:{m.staff_id}", card,
                             kind="approval_ask", staff_id=m.staff_id, ref=change.ref)
        group = self.settings.dingtalk_pmc_group
        self.outbox.send(f"ask:{change.ref}:group:{group}",
                         self._group_copy(change, self.settings.notify_group_lang, requester, managers),
                         kind="approval_ask", group=group, ref=change.ref)
        self.record("approval_requested", actor="bot", change=change,
                    managers=[m.staff_id for m in managers], group=group)
        return [m.staff_id for m in managers]

    def _ask_in_oa(self, change: ChangeRequest) -> list[str]:
        described = self.workflow.describe(change)
        lines = [m.text("zh") for m in described.details]
        approval = self.oa.ask_for_change(change, lines)
        self.record("approval_requested", actor="bot", change=change, managers=list(approval.approvers),
                    channel="oa", instance_id=approval.instance_id)
        return list(approval.approvers)

    @staticmethod
    def _interactive(change: ChangeRequest, card: ActionCard, staff_id: str, *, copy: str = "") -> InteractiveCard:
        """The same content as an interactive card: its Approve / Reject presses come back as card
        callbacks carrying the request, so no chat text has to be typed or parsed. ``copy`` tells a
        reminder's card from the first one (each outTrackId is unique)."""
        track = card_track_id(change.ref, staff_id)
        return InteractiveCard(
            out_track_id=f"{track}-{copy}" if copy else track,
            template_id=APPROVAL_TEMPLATE,
            params=(
                ("title", card.title),
                ("markdown", card.text),
                ("status", "pending"),
                ("approval_id", change.ref),
                ("change_id", change.ref),
                ("order_no", change.bill_no),
            ),
        )

    def close_cards(self, change: ChangeRequest, status: str) -> None:
        """After a decision, every interactive copy of the request's card (each approver's, and each
        reminder) shows who decided and when, in its addressee's language, and offers no buttons any
        more; a copy not delivered yet goes out that way. Read from what was sent (the outbox), not
        from who is a manager now: a copy to someone who left the group is closed too."""
        state = Change.REJECTED if status == "rejected" else Change.APPROVED
        decided = {"approver": self._name(change.approver), "decided_at": self.workflow.local_time(change.decided_at) or "",
                   "decision": dict(catalog.MESSAGES[f"workflow.state_{state.value}"])}
        try:
            members = {m.staff_id: m for m in self.managers()}
        except DirectoryUnavailable:
            members = {}

        def params_for(staff_id: str) -> dict:
            m = members.get(staff_id)
            lang = person_language(self.Session, staff_id, m.name if m else None, m.preferred_language if m else None)
            return {"status": status, "decision": Message("approval.card_decided", decided).text(lang),
                    "decided_by": change.approver or "", "decided_at": decided["decided_at"]}

        self.outbox.update_cards(change.ref, ("approval_ask", "approval_reminder"), params_for)

    def _group_copy(self, change: ChangeRequest, lang: str, requester: str, managers: list[DirectoryMember],
                    *, intro: Message | None = None) -> Markdown:
        """The group's copy of an approval request (issue 13 item 12): it says who decides and
        @-mentions them, and has no decision buttons (the requester is in the group too; the
        approvers decide on their own 1:1 cards)."""
        described = self.workflow.describe(change)
        names = ", ".join(m.name or m.staff_id for m in managers) or catalog.text("approval.no_approver", lang)
        mentions = " ".join(f"@{m.staff_id}" for m in managers)
        head = [intro] if intro else []
        head.append(Message("approval.group_card_intro", {**self._labels(change), "requester": requester,
                                                          "ref": change.ref, "managers": names}))
        text = _lines(*head, lang=lang) + "\n\n" + "\n\n".join(f"- {m.text(lang)}" for m in described.details)
        if mentions:
            text += f"\n\n{mentions}"
        title = catalog.text("approval.card_title", lang, bill_no=change.bill_no, ref=change.ref)
        return Markdown(title=title, text=text, at_staff_ids=tuple(m.staff_id for m in managers))

    def _card(self, change: ChangeRequest, lang: str, requester: str, *, intro: Message | None = None) -> ActionCard:
        described = self.workflow.describe(change)
        fields = [d for d in described.details if d.key.startswith("workflow.field_")]
        risks = [d for d in described.details if not d.key.startswith("workflow.field_")]
        labels = localized(self._labels(change), lang)
        head = [intro] if intro else []
        head.append(Message("approval.card_intro", {**labels, "requester": requester, "ref": change.ref}))
        parts = [_lines(*head, lang=lang), "\n\n".join(f"- {m.text(lang)}" for m in fields)]
        if risks:
            parts.append(f"**{catalog.text('approval.card_reasons', lang)}**")
            parts.append("\n\n".join(f"- {m.text(lang)}" for m in risks))
        parts.append(self._link(change).text(lang))  # the order's page on the dashboard
        values = {"bill_no": change.bill_no, "ref": change.ref}
        return ActionCard(
            title=catalog.text("approval.card_title", lang, **values),
            text="\n\n".join(p for p in parts if p),
            buttons=(
                (catalog.text("approval.button_approve", lang), catalog.text("approval.chat_approve", lang, **values)),
                (catalog.text("approval.button_reject", lang), catalog.text("approval.chat_reject", lang, **values)),
            ),
            is_horizontal=True,
        )

    # -- deciding -----------------------------------------------------------------------------
    def waiting_for(self, staff_id: str) -> list[ChangeRequest]:
        """The requests this manager was asked to decide that nobody has decided yet (never their own)."""
        return [c for c in self.workflow.pending_approvals()
                if c.requester != staff_id and staff_id in self.addressees(c.ref)]

    def pending_line(self, change: ChangeRequest) -> Message:
        """One request in a list: its ref, order, material and who asked."""
        return Message("approval.pending_line", {**self._labels(change), "ref": change.ref,
                                                 "requester": self._name(change.requester)})

    def addressees(self, ref: str) -> set[str]:
        """Whom the approval of ``ref`` was sent to (the cards and reminders 1:1, or the OA instance's
        approvers): only they decide it."""
        asked = self.outbox.recipients(ref, ("approval_ask", "approval_reminder"))
        if self.oa is not None:
            approval = self.oa.get(f"change:{ref}")
            if approval is not None:
                asked |= set(approval.approvers)
        return asked

    def decide(
        self,
        staff_id: str,
        conversation_id: str | None,
        decision: str,
        *,
        order_no: str | None = None,
        ref: str | None = None,
        note: str = "",
    ) -> Outcome:
        """A manager's approve / reject, by order number, by CR ref, or of the one request pending.

        Outcome keys: the workflow's (workflow.change_applied, workflow.change_rejected,
        workflow.already_decided, workflow.approval_own_request, workflow.approval_not_manager,
        workflow.change_world_changed, workflow.change_expired ...), or approval.nothing_pending,
        approval.none_for_order, approval.which_one (details: one line per pending request),
        authz.directory_unavailable."""
        if decision not in (APPROVE, REJECT):
            raise ValueError(f"decision must be approve or reject, not {decision!r}")
        authz = self.authorizer.check(staff_id, APPROVAL_DECIDE)
        if authz.is_directory_unavailable:
            return refused("authz.directory_unavailable", name="", action=_action_name())
        change, answer = self._resolve(staff_id, order_no=order_no, ref=ref)
        if answer is not None:
            if not authz.allowed:
                return refused(authz.reason_key or "authz.refused", name=authz.person_name or "", action=_action_name())
            return answer
        if (authz.allowed and staff_id != change.requester and change.state is Change.PENDING_APPROVAL
                and staff_id not in self.addressees(change.ref)):
            self.record("approval_not_addressed", actor=staff_id, change=change, conversation_id=conversation_id)
            return refused("approval.not_addressed", ref=change.ref, bill_no=change.bill_no)
        if decision == APPROVE:
            outcome = self.workflow.approve(change.ref, staff_id, is_manager=authz.allowed, note=note or "")
        else:
            outcome = self.workflow.reject(change.ref, staff_id, note or "", is_manager=authz.allowed)
        self.record(f"approval_{decision}", actor=staff_id, change=change, conversation_id=conversation_id,
                    outcome=outcome.key, note=note or None)
        self.announce(outcome)
        if outcome.key in FINAL_KEYS and isinstance(outcome.value, ChangeRequest):
            self.close_cards(outcome.value, "approved" if decision == APPROVE else "rejected")
        if outcome.values.get("approver"):  # people read names, not staff ids
            outcome = replace(outcome, values={**outcome.values, "approver": self._name(outcome.values["approver"])})
        return outcome

    def _resolve(self, staff_id: str, *, order_no: str | None, ref: str | None) -> tuple[ChangeRequest | None, Outcome | None]:
        if ref:
            change = self.workflow.get_change(ref)
            return (change, None) if change else (None, refused("workflow.change_unknown", ref=ref.strip().upper()))
        if order_no:
            bill_no = format_order_no(order_no)
            changes = self.workflow.list_changes(bill_no=bill_no)
            pending = [c for c in changes if c.state is Change.PENDING_APPROVAL]
            # a second press on a decided card lands on the latest request, and the workflow says who decided it
            decided = [c for c in changes if c.approver or c.state is Change.EXPIRED]
            change = (pending or decided or [None])[-1]
            return (change, None) if change else (None, refused("approval.none_for_order", bill_no=bill_no))
        pending = [c for c in self.workflow.pending_approvals() if c.requester != staff_id]
        if len(pending) == 1:
            return pending[0], None
        if not pending:
            return None, refused("approval.nothing_pending")
        lines = tuple(
            Message("approval.pending_line", {**self._labels(c), "ref": c.ref, "requester": self._name(c.requester)})
            for c in pending
        )
        return None, refused("approval.which_one", details=lines, count=len(pending), example=pending[0].bill_no)

    # -- telling ------------------------------------------------------------------------------
    def announce(self, outcome: Outcome) -> None:
        """Tell the requester (and the production group, once applied) what became of a request."""
        change = outcome.value
        if not isinstance(change, ChangeRequest) or outcome.key not in FINAL_KEYS:
            return
        approver = self._name(change.approver) if change.approver else ""
        labels = self._labels(change)
        if outcome.key == "workflow.change_expired":
            hours = figure(self.settings.approval_expire_after_s / 3600)
            head = Message("approval.requester_expired", {**labels, "ref": change.ref, "hours": hours})
            self._to_requester(change, "expired", head)
            return
        if outcome.key == "workflow.change_applied":
            head = Message("approval.requester_approved", {"approver": approver, "ref": change.ref})
            remark = (Message("approval.decision_remark", {"note": change.decision_note}),) if change.decision_note else ()
            self._to_requester(change, "applied", head, *remark, outcome.message, *outcome.details)
            lang = self.settings.notify_group_lang
            notice = Message("approval.production_notice", {**labels, "ref": change.ref, "approver": approver})
            group = self.settings.dingtalk_production_group
            self.outbox.send(f"applied:{change.ref}:group:{group}",
                             self._markdown(lang, notice, *outcome.details, self._link(change)),
                             kind="plan_changed", group=group, ref=change.ref)
        elif outcome.key == "workflow.change_rejected":
            note = change.decision_note or dict(catalog.MESSAGES["approval.no_reason"])
            head = Message("approval.requester_rejected", {**labels, "ref": change.ref, "approver": approver,
                                                           "note": note})
            self._to_requester(change, "rejected", head)
        elif outcome.key == "workflow.change_world_changed":
            head = Message("approval.requester_world_changed", {**labels, "ref": change.ref, "approver": approver})
            self._to_requester(change, "world_changed", head, *outcome.details)
        else:
            head = Message("approval.requester_failed", {**labels, "ref": change.ref, "approver": approver})
            self._to_requester(change, "failed", head, outcome.message)
        if change.approver:
            state = Change.REJECTED if change.state is Change.REJECTED else Change.APPROVED
            decided = Message("approval.group_decided", {**labels, "ref": change.ref, "approver": approver,
                                                         "decision": dict(catalog.MESSAGES[f"workflow.state_{state.value}"])})
            group = self.settings.dingtalk_pmc_group
            self.outbox.send(f"decided:{change.ref}:group:{group}",
                             self._markdown(self.settings.notify_group_lang, decided, self._link(change)),
                             kind="approval_decided", group=group, ref=change.ref)

    def remind(self, change: ChangeRequest, now: datetime) -> None:
        """Remind the managers 1:1; from the second reminder on, escalate in the PMC group too.
        (With approval_channel=oa the OA approvals remind the instance's approvers instead.)"""
        if getattr(self.settings, "approval_channel", "cards") == "oa" and self.oa is not None \
                and self.oa.get(f"change:{change.ref}") is not None:
            return
        since = change.pending_since or change.created_at
        hours = figure(round((now - since).total_seconds() / 3600, 1))
        stamp = (change.reminded_at or since).isoformat()
        try:
            managers = self.managers(except_staff_id=change.requester)
        except DirectoryUnavailable:
            managers = []
        requester = self._name(change.requester)
        for m in managers:
            lang = person_language(self.Session, m.staff_id, m.name, m.preferred_language)
            intro = Message("approval.card_reminder", {"ref": change.ref, "hours": hours})
            card = self._card(change, lang, requester, intro=intro)
            if self.settings.approval_card == "interactive":  # its own copy, closed with the others
                card = self._interactive(change, card, m.staff_id, copy="r" + "".join(c for c in stamp if c.isdigit())[:14])
            self.outbox.send(f"remind:{change.ref}:{m.staff_id}:{stamp}", card,
                             kind="approval_reminder", staff_id=m.staff_id, ref=change.ref)
        escalated = change.reminded_at is not None
        if escalated:
            mentions = " ".join(f"@{m.staff_id}" for m in managers)
            message = Message("approval.escalation", {"ref": change.ref, "bill_no": change.bill_no,
                                                      "hours": hours, "mentions": mentions})
            group = self.settings.dingtalk_pmc_group
            lang = self.settings.notify_group_lang
            self.outbox.send(f"escalate:{change.ref}:{stamp}",
                             self._group_copy(change, lang, requester, managers, intro=message),
                             kind="approval_escalation", group=group, ref=change.ref)
        self.record("approval_reminded", actor="bot", change=change, managers=[m.staff_id for m in managers],
                    escalated=escalated)

    # outcomes of a resumed write that mean "not yet": the next pass tries again, nobody is told
    NOT_YET = frozenset({"workflow.order_write_unknown", "workflow.draft_in_progress"})

    def tell_resumed_draft(self, draft, outcome: Outcome) -> None:
        """The requester of a confirmed new order whose write a crash interrupted learns how it
        ended (created and waiting for approval, created, or refused by K/3), once per draft."""
        if outcome.key in self.NOT_YET:
            return
        groups = {self.settings.dingtalk_pmc_group, self.settings.dingtalk_production_group}
        lang = person_language(self.Session, draft.requester, self._name(draft.requester))
        head = Message("workflow.draft_resumed", {"draft_id": draft.id})
        message = self._markdown(lang, head, outcome.message, *outcome.details, at=(draft.requester,))
        key = f"draft_resumed:{draft.id}:requester"
        if draft.conversation_id in groups:
            message = Markdown(title=message.title, text=f"@{draft.requester} {message.text}",
                               at_staff_ids=message.at_staff_ids)
            self.outbox.send(key, message, kind="requester_draft_resumed", group=draft.conversation_id)
        else:
            self.outbox.send(key, message, kind="requester_draft_resumed", staff_id=draft.requester)

    def _to_requester(self, change: ChangeRequest, event: str, *messages: Message) -> None:
        """Into the group the request came from (a known group), else 1:1, in the requester's language."""
        groups = {self.settings.dingtalk_pmc_group, self.settings.dingtalk_production_group}
        lang = person_language(self.Session, change.requester, self._name(change.requester))
        message = self._markdown(lang, *messages, self._link(change), at=(change.requester,))
        if change.conversation_id in groups:  # a group notice names the requester: @<staffId> (spec §2)
            message = Markdown(title=message.title, text=f"@{change.requester} {message.text}",
                               at_staff_ids=message.at_staff_ids)
        key = f"{event}:{change.ref}:requester"
        if change.conversation_id in groups:
            self.outbox.send(key, message, kind=f"requester_{event}", group=change.conversation_id, ref=change.ref)
        else:
            self.outbox.send(key, message, kind=f"requester_{event}", staff_id=change.requester, ref=change.ref)

    def _markdown(self, lang: str, *messages: Message, at: tuple[str, ...] = ()) -> Markdown:
        text = _lines(*messages, lang=lang)
        title = text.split("\n", 1)[0][:60]
        return Markdown(title=title, text=text, at_staff_ids=at)

    # -- helpers ------------------------------------------------------------------------------
    def _link(self, change: ChangeRequest) -> Message:
        """The order's page on the manager's dashboard (``web_base_url``)."""
        return Message("web.open_order", {"bill_no": change.bill_no,
                                          "url": f"{self.settings.web_url}/orders/{change.bill_no}"})

    def _labels(self, change: ChangeRequest) -> dict[str, Any]:
        label = (self.workflow.material_label(change.material_number) if change.material_number
                 else {"code": "", "name": ""})
        return {"bill_no": change.bill_no, "material_code": label["code"], "material_name": label["name"]}

    def _name(self, staff_id: str | None) -> str:
        """A person's directory name for messages (their staff id if the directory cannot say)."""
        if not staff_id:
            return ""
        if staff_id not in self._names:
            try:
                person = self.directory.find(staff_id)
            except DirectoryUnavailable:
                return staff_id
            self._names[staff_id] = person.name if person and person.name else staff_id
        return self._names[staff_id]

    def name_of(self, staff_id: str | None) -> str:
        """A person's directory name for messages (their staff id if the directory cannot say)."""
        return self._name(staff_id)

    def audit_record(self, event: str, *, actor: str, bill_no: str, conversation_id: str | None = None,
                     **details) -> None:
        """An approval record about an order (the OA approvals of new orders use it)."""
        if self.audit is None:
            return
        self.audit.record("approval", actor=actor, conversation_id=conversation_id, order_bill_no=bill_no,
                          event=event, **{k: v for k, v in details.items() if v is not None})

    def record(self, event: str, *, actor: str, change: ChangeRequest, conversation_id: str | None = None,
               **details) -> None:
        if self.audit is None:
            return
        self.audit.record("approval", actor=actor, conversation_id=conversation_id, order_bill_no=change.bill_no,
                          event=event, ref=change.ref, **{k: v for k, v in details.items() if v is not None})


def _action_name() -> dict:
    return dict(catalog.MESSAGES["authz.action.approval_decide"])


# -- reading a manager's message ----------------------------------------------------------------
_REF = re.compile(r"\bCR-?\d{1,6}\b", re.IGNORECASE)


def ref_in(text: str | None) -> str | None:
    """A change-request ref written in a message ("批准 CR-000012"), normalised."""
    match = _REF.search(text or "")
    if not match:
        return None
    digits = re.sub(r"\D", "", match.group(0))
    return f"CR-{int(digits):06d}"


def note_from(text: str | None, bill_no: str | None = None) -> str:
    """The manager's own words around a decision ("P20250401 驳回，数量不合理" -> "数量不合理");
    empty for a bare button text such as "驳回 P20250401" (``decision_words.note_from``)."""
    return decision_words.note_from(text, bill_no)
