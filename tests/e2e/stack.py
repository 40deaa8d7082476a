"""The whole system for end-to-end tests: every service on its own free loopback port.

Tests talk to it only as DingTalk would (the simulator's chat API signs and delivers a callback
to the Rasa channel; replies come back through the sessionWebhook) and read K/3 through its
WebAPI, never by calling actions directly.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from k3cloud_webapi_sdk.main import K3CloudApiSdk

from devtools.factory import get_factory
from devtools.stack import DEMO_ANCHOR, demo_stack
from rasa_project.runner import Stack
from rasa_project.settings import Settings
from tests import polling


def joined(replies) -> str:
    return "\n".join(r.text for r in replies)


def wait_until(check, what: str, timeout_s: float = 60.0, interval_s: float = 0.5):
    """``check()``'s first truthy value within ``timeout_s`` (a bot turn or a worker round on a busy box)."""
    return polling.wait_until(check, timeout_s, what=what, interval_s=interval_s)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stack_settings(var_dir: Path) -> Settings:
    ports = {name: free_port() for name in ("k3", "dt", "ldap", "rasa", "actions", "web", "ingress")}
    return Settings(
        env="test",
        var_dir=var_dir,
        clock_anchor=DEMO_ANCHOR,
        k3_sim_port=ports["k3"],
        k3_base_url=f"http://127.0.0.1:{ports['k3']}/k3cloud/",
        dingtalk_sim_port=ports["dt"],
        dingtalk_openapi_url=f"http://127.0.0.1:{ports['dt']}",
        ldap_url=f"ldap://127.0.0.1:{ports['ldap']}",
        rasa_port=ports["rasa"],
        action_port=ports["actions"],
        web_port=ports["web"],
        ingress_port=ports["ingress"],
        k3_sim_faults_enabled=True,
        authz_cache_ttl_s=1,  # the directory-outage test must not be answered from the cache
        # the e2e files press approval cards as action cards (dtmd:// chat text, test_2 / test_5); the
        # interactive default is pressed through the signed /card route in test_7_cards
        approval_card="action_card",
        # Functional suites send far more than DingTalk's 20 messages/minute per group; pacing and
        # 130101 throttling have their own tests (tests/dingtalk) at the real limit.
        dingtalk_rate_per_minute=1000,
        dingtalk_sim_rate_per_minute=1000,
        # ... and far more than one person types: the channel's flood limits are tested at their
        # defaults in tests/security.
        dingtalk_sender_rate_per_minute=1000,
        dingtalk_sender_burst=1000,
        dingtalk_conversation_rate_per_minute=1000,
        dingtalk_conversation_burst=1000,
        audit_anchor_interval_s=5,  # the worker anchors the audit trail often enough to be checked
        # OA approval of new orders (issue 14): the worker applies OA events and polls running
        # instances often enough for a test to wait on them
        approval_worker_interval_s=2,
        oa_poll_after_s=5,
    )


@dataclass
class Reply:
    seq: int
    text: str
    buttons: list
    raw: dict
    conversation_id: str | None
    to_staff_ids: list


class Chat:
    """Talk to the running bot through the DingTalk simulator."""

    def __init__(self, settings: Settings):
        self.sim = f"http://127.0.0.1:{settings.dingtalk_sim_port}"
        self.k3 = f"http://127.0.0.1:{settings.k3_sim_port}/k3cloud/"
        self.http = httpx.Client(timeout=30.0)
        self._seen = 0

    def mark(self) -> int:
        msgs = self.http.get(f"{self.sim}/_sim/messages").json()["messages"]
        return max((m["seq"] for m in msgs), default=0)

    def send(self, staff_id: str, text: str, conversation_id: str | None = "cidPMC0001", **extra) -> dict:
        body = {"conversation_id": conversation_id, "staff_id": staff_id, "text": text, **extra}
        r = self.http.post(f"{self.sim}/_sim/chat", json=body)
        r.raise_for_status()
        return r.json()

    def replies(self, after: int, conversation_id: str | None = None, staff_id: str | None = None) -> list[Reply]:
        params = {"after": after}
        if conversation_id:
            params["conversation_id"] = conversation_id
        if staff_id:
            params["staff_id"] = staff_id
        msgs = self.http.get(f"{self.sim}/_sim/messages", params=params).json()["messages"]
        return [
            Reply(m["seq"], m.get("text") or "", m.get("buttons") or [], m, m.get("conversation_id"), m.get("to_staff_ids") or [])
            for m in msgs
        ]

    def wait_for(self, after: int, predicate, *, timeout_s: float = 60.0, **where) -> list[Reply]:
        """The replies after ``after`` (in ``where``: conversation_id, staff_id) that match ``predicate``,
        once there is at least one."""
        try:
            return wait_until(lambda: [r for r in self.replies(after, **where) if predicate(r)],
                              f"a matching message for {where}", timeout_s, interval_s=0.2)
        except AssertionError as exc:  # say what did arrive
            raise AssertionError(f"{exc}; got {[r.text[:200] for r in self.replies(after, **where)]}") from None

    def ask(
        self,
        staff_id: str,
        text: str,
        conversation_id: str | None = "cidPMC0001",
        *,
        expect: int = 1,
        timeout_s: float = 60.0,
        contains: str | None = None,
    ) -> list[Reply]:
        """Send ``text`` and wait until at least ``expect`` replies (or one containing ``contains``) arrive."""
        start = self.mark()
        sent = self.send(staff_id, text, conversation_id)
        # a 1:1 message: wait in that person's chat with the robot, not for anything sent anywhere
        conversation_id = conversation_id or sent.get("conversation_id")
        deadline = time.monotonic() + timeout_s
        got: list[Reply] = []
        while time.monotonic() < deadline:
            got = self.replies(start, conversation_id=conversation_id)
            if contains is not None:
                if any(contains in r.text for r in got):
                    time.sleep(0.3)  # let a turn's trailing messages land
                    return self.replies(start, conversation_id=conversation_id)
            elif len(got) >= expect:
                time.sleep(0.3)
                return self.replies(start, conversation_id=conversation_id)
            time.sleep(0.2)
        raise AssertionError(f"no reply to {text!r} within {timeout_s}s; got {[r.text for r in got]}")


def start_stack(var_dir: Path, model: Path) -> tuple[Stack, Settings]:
    settings = stack_settings(var_dir)
    stack = demo_stack(settings, model)
    try:
        stack.start()
    except BaseException:  # never leave half a system running behind a failed start
        stack.stop()
        raise
    return stack, settings


def official_sdk(settings) -> K3CloudApiSdk:
    factory = get_factory()
    app = factory.k3_apps[0]
    url = f"http://127.0.0.1:{settings.k3_sim_port}/k3cloud/"
    sdk = K3CloudApiSdk(url)
    sdk.InitConfig(factory.acct_id, app["user_name"], app["app_id"], app["app_secret"], url, 2052, 0)
    return sdk


def orders_of(sdk, material_number: str) -> list[list]:
    rows = json.loads(
        sdk.ExecuteBillQuery(
            {
                "FormId": "PRD_MO",
                "FieldKeys": "FBillNo,FQty,FDocumentStatus,FMaterialId.FNumber",
                "FilterString": f"FMaterialId.FNumber='{material_number}'",
                "OrderString": "FBillNo",
            }
        )
    )
    assert isinstance(rows, list) and (not rows or isinstance(rows[0], list)), rows
    return rows


def order_row(sdk, bill_no: str) -> dict:
    """The order as K/3 has it now, read with the official SDK."""
    keys = ["FBillNo", "FQty", "FDocumentStatus", "FStatus", "FPlanFinishDate", "FWorkShopID.FNumber"]
    rows = json.loads(
        sdk.ExecuteBillQuery({"FormId": "PRD_MO", "FieldKeys": ",".join(keys), "FilterString": f"FBillNo='{bill_no}'"})
    )
    assert len(rows) == 1, rows
    return dict(zip(keys, rows[0]))
