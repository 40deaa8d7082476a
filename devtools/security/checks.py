"""What must stay unchanged while the system is attacked: K/3 (read with Kingdee's official SDK)
and the audit trail (its records, its chain, its anchors)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from devtools.factory import get_factory

ORDER_KEYS = ("FBillNo", "FQty", "FDocumentStatus", "FStatus", "FPlanStartDate", "FPlanFinishDate",
              "FWorkShopID.FNumber", "FMaterialId.FNumber", "FDescription")
REPORT_KEYS = ("FBillNo", "FDocumentStatus", "FDate")


def official_sdk(settings):
    from k3cloud_webapi_sdk.main import K3CloudApiSdk

    factory = get_factory()
    app = factory.k3_apps[0]
    url = f"http://127.0.0.1:{settings.k3_sim_port}/k3cloud/"
    sdk = K3CloudApiSdk(url)
    sdk.InitConfig(factory.acct_id, app["user_name"], app["app_id"], app["app_secret"], url, 2052, 0)
    return sdk


def _rows(sdk, form_id: str, keys: tuple[str, ...]) -> list:
    rows = json.loads(sdk.ExecuteBillQuery({"FormId": form_id, "FieldKeys": ",".join(keys), "FilterString": "",
                                            "OrderString": "FBillNo", "Limit": 10000}))
    if not isinstance(rows, list) or (rows and not isinstance(rows[0], list)):
        raise RuntimeError(f"K/3 did not list {form_id}: {str(rows)[:300]}")
    return rows


def k3_snapshot(settings) -> dict:
    """Every production order and output report as K/3 answers for them now."""
    sdk = official_sdk(settings)
    return {"PRD_MO": _rows(sdk, "PRD_MO", ORDER_KEYS), "PRD_MORPT": _rows(sdk, "PRD_MORPT", REPORT_KEYS)}


def digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class TrailState:
    records: int
    head: tuple[int, str]
    chain_ok: bool
    writes: int  # k3_call records of a K/3 write (Save, Submit, Audit, ...)
    decisions: int  # change requests decided (approved or rejected)
    turns: int = 0  # records only a handled turn writes (nlu, reply): background workers write none


DECIDED = ("workflow.change_applied", "workflow.change_rejected", "workflow.change_world_changed",
           "workflow.change_k3_rejected", "workflow.change_apply_unknown")  # a request was decided
WRITE_OPS = ("save", "submit", "audit", "unaudit", "delete", "push", "draft", "cancel", "forbid")


def trail_state(settings) -> TrailState:
    from rasa_project.audit import AuditTrail
    from rasa_project.audit.models import AuditRecord
    from rasa_project.db import get_sessionmaker

    Session = get_sessionmaker(settings.sqlalchemy_url)
    trail = AuditTrail(Session, secrets=())
    with Session() as s:
        rows = s.query(AuditRecord.kind, AuditRecord.payload).all()
    writes = decisions = turns = 0
    for kind, payload in rows:
        turns += kind in ("nlu", "reply")
        data = json.loads(payload)
        op = str(data.get("operation") or data.get("op") or data.get("service") or "").lower()
        if kind == "k3_call" and any(w in op for w in WRITE_OPS):
            writes += 1
        if kind == "approval" and data.get("outcome") in DECIDED:
            decisions += 1
    return TrailState(len(rows), trail.head(), trail.verify().ok, writes, decisions, turns)


def turns_of(settings, message_ids) -> set[str]:
    """Which of ``message_ids`` reached an action (the actions audit every turn they handle)."""
    from rasa_project.audit.models import AuditRecord
    from rasa_project.db import get_sessionmaker

    wanted = set(message_ids)
    with get_sessionmaker(settings.sqlalchemy_url)() as s:
        payloads = s.query(AuditRecord.payload).filter(AuditRecord.kind.in_(("nlu", "decision"))).all()
    seen = set()
    for (payload,) in payloads:
        message_id = json.loads(payload).get("message_id")
        if message_id in wanted:
            seen.add(message_id)
    return seen
