"""The one object actions, CLI and dashboard call for orders, changes and approvals."""

from __future__ import annotations

from typing import Any

from rasa_project.ordering.create import OrderCreation
from rasa_project.ordering.decisions import ChangeApprovals


class WorkflowService(OrderCreation, ChangeApprovals):
    """``WorkflowService(k3, mapping, clock, sessionmaker, settings, now=utc_now)``.

    Create: check_material, check_quantity, check_finish_date, check_work_center,
    check_production_type, suggestions, prepare_draft, confirm_draft, cancel_draft, get_draft.
    Change: request_change, confirm_change, cancel_change, get_change, list_changes, history,
    resume, resume_all. Approval: approve, reject, expire_due, due_reminders, mark_reminded,
    pending_approvals."""


def get_workflow_service(settings: Any | None = None) -> WorkflowService:
    """The service over the configured K/3, mapping tables, business clock and database."""
    from k3_client.client import K3Client  # lazy: no HTTP client at import time
    from rasa_project.clock import clock_from
    from rasa_project.db import get_sessionmaker
    from rasa_project.mapping import get_mapping
    from rasa_project.settings import get_settings

    settings = settings or get_settings()
    return WorkflowService(
        k3=K3Client.from_settings(settings),
        mapping=get_mapping(settings.mapping_dir),
        clock=clock_from(settings),
        sessionmaker=get_sessionmaker(settings.sqlalchemy_url),
        settings=settings,
    )
