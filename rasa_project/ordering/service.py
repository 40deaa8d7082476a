"""The workflow of orders as one object: create (``create.py``), change (``changes.py``) and
manager decisions (``change_decisions.py``) over one K/3 client, mapping, clock and database."""

from __future__ import annotations

from rasa_project.ordering.change_decisions import ChangeDecisions
from rasa_project.ordering.create import OrderCreation, OrderWithdrawal


class WorkflowService(OrderCreation, OrderWithdrawal, ChangeDecisions):
    """``WorkflowService(k3, mapping, clock, sessionmaker, settings, now=utc_now)``.

    Create: check_material, check_quantity, check_finish_date, check_work_center,
    check_production_type, suggestions, prepare_draft, confirm_draft, cancel_draft, get_draft.
    Change: request_change, confirm_change, cancel_change, get_change, list_changes, history,
    resume, resume_all. Withdraw (an order nobody started): propose_withdraw, withdraw_order.
    Approval: approve, reject, expire_due, due_reminders, mark_reminded,
    pending_approvals."""
