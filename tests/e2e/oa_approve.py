"""A new order made in chat waits in K/3 status B for its DingTalk OA approval (issue 14). Tests
whose subject comes after that (a change, a release, a report, a withdrawal) approve it the way a
manager does: the manager's pending task on the simulator's OA (the phone page's Agree does the
same request), then the worker reads the instance back and audits the order in K/3."""

from __future__ import annotations

import json

from tests.e2e.stack import official_sdk, wait_until

APPROVE_S = 90.0  # OA event or poll -> worker -> K/3 Audit, on a busy 2-core box


def document_status(sdk, bill_no: str) -> str | None:
    rows = json.loads(sdk.ExecuteBillQuery({"FormId": "PRD_MO", "FieldKeys": "FDocumentStatus",
                                            "FilterString": f"FBillNo='{bill_no}'"}))
    return rows[0][0] if rows else None


def approve_new_order(chat, settings, bill_no: str, approver: str = "manager0001",
                      conversation_id: str = "cidPMC0001") -> None:
    """The approver agrees to ``bill_no``'s OA instance; returns once K/3 has it audited (C) and the
    requester was told in ``conversation_id`` (so that notice is not taken for the next turn's reply)."""
    sdk = official_sdk(settings)
    assert document_status(sdk, bill_no) == "B", document_status(sdk, bill_no)  # waiting, as issue 14 says

    def pending():
        listed = chat.http.get(f"{chat.sim}/_sim/approvals", params={"staff_id": approver}).json()["approvals"]
        return next((a for a in listed if {"name": "单据编号", "value": bill_no} in a["form"]), None)

    item = wait_until(pending, f"{bill_no} in {approver}'s OA approvals", 30.0)
    mark = chat.mark()
    r = chat.http.post(f"{chat.sim}/_sim/approvals/{item['instance_id']}/decide",
                       json={"staff_id": approver, "result": "agree", "remark": "同意"})
    assert r.status_code == 200, r.text
    wait_until(lambda: document_status(sdk, bill_no) == "C", f"{bill_no} audited after the OA agree", APPROVE_S)
    wait_until(lambda: [m for m in chat.replies(mark, conversation_id=conversation_id) if bill_no in m.text],
          f"the requester told that {bill_no} was approved", APPROVE_S)
