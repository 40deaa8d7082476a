"""The pieces of the prod-faults reliability run that need no running system: the invariants
(observations in, verdicts out), the latency windows, and the TCP proxy that makes Redis
unreachable for our processes only."""

from __future__ import annotations

import socket
import threading

import pytest

from devtools.reliability.invariants import (
    approvals_once,
    messages_once,
    openapi_answers,
    order_kept,
    refused_told,
    replies_once,
)
from devtools.reliability.prod_faults import Fault, latency_windows
from devtools.topology.tcp_proxy import TcpProxy


def sent(msg_id: str, conversation: str = "cidA", accepted: bool = True) -> dict:
    return {"msg_id": msg_id, "conversation": conversation, "accepted": accepted}


def reply(seq: int, to: str | None, text: str = "ok", conversation: str = "cidA") -> dict:
    return {"seq": seq, "in_reply_to": to, "text": text, "conversation_id": conversation}


def test_a_message_missing_from_the_tracker_is_lost_and_one_stored_twice_was_handled_twice():
    lost, twice = messages_once([sent("m1"), sent("m2"), sent("m3")], {"m1": 1, "m3": 2})
    assert not lost["ok"] and lost["lost"] == 1 and lost["lost_examples"] == ["m2"]
    assert not twice["ok"] and twice["doubled"] == 1
    ok = messages_once([sent("m1")], {"m1": 1})
    assert all(v["ok"] for v in ok)


def test_a_callback_never_accepted_counts_as_lost():
    lost, _ = messages_once([sent("m1", accepted=False)], {})
    assert not lost["ok"] and lost["never_accepted"] == 1


def test_a_message_refused_after_a_restart_with_a_notice_is_not_lost_but_counted_apart():
    """A left-behind turn judged superseded (or a late delivery) is not run, on purpose, and the
    person is told in a reply quoting it: not lost, not out of order; any other missing one is."""
    from rasa_project.catalog import text

    turns = [sent("m1"), sent("m2"), sent("m3")]
    bot = [reply(1, "m2", "好的"), reply(2, "m1", text("dingtalk.stale_rerun", "id", text="ya")),
           reply(3, "m3", "Siap")]
    told = refused_told(turns, bot)
    assert told == {"m1"}
    lost, _ = messages_once(turns, {"m2": 1}, told)
    assert not lost["ok"] and lost["lost_examples"] == ["m3"] and lost["not_run_and_told"] == 1
    assert messages_once(turns, {"m2": 1, "m3": 1}, told)[0]["ok"]
    assert order_kept(turns, bot, {"cidA": ["m2", "m3"]}, told)["ok"]
    assert not order_kept(turns, bot, {"cidA": ["m2", "m3"]})["ok"]  # without it: m1's notice after m2's reply
    assert refused_told(turns, [reply(1, "m1", text("dingtalk.out_of_order", "en", text="yes"))]) == {"m1"}
    assert refused_told(turns, [reply(1, "m1", "Your earlier order was written")]) == set()


def test_an_unanswered_message_and_a_reply_recorded_twice_break_the_reply_invariants():
    turns = [sent("m1"), sent("m2")]
    lost, twice = replies_once(turns, [reply(1, "m1"), reply(2, "m1")])
    assert not lost["ok"] and lost["unanswered_examples"] == ["m2"]
    assert not twice["ok"] and twice["doubled"] == 1
    lost, twice = replies_once(turns, [reply(1, "m1", "a"), reply(2, "m2", "b"), reply(3, None, "notice")])
    assert lost["ok"] and twice["ok"] and lost["notices"] == 1


def test_replies_out_of_send_order_or_a_tracker_out_of_order_break_the_order():
    turns = [sent("m1"), sent("m2")]
    assert order_kept(turns, [reply(1, "m1"), reply(2, "m2")], {"cidA": ["m1", "m2"]})["ok"]
    swapped = order_kept(turns, [reply(1, "m2"), reply(2, "m1")], {"cidA": ["m1", "m2"]})
    assert not swapped["ok"] and swapped["replies_out_of_order"] == 1
    assert not order_kept(turns, [reply(1, "m1"), reply(2, "m2")], {"cidA": ["m2", "m1"]})["ok"]
    # two people of one group: each tracker in order, saved interleaved the other way round
    assert order_kept(turns, [reply(1, "m1"), reply(2, "m2")], {"cidA:pmc0001": ["m1"], "cidA:prod0001": ["m2"]})["ok"]
    assert not order_kept(turns, [reply(1, "m1"), reply(2, "m2")], {"cidA:pmc0001": ["m2", "m1"]})["ok"]


def test_an_approval_is_decided_once_only_with_one_instance_one_decision_applied():
    decided = [{"bill_no": "MO000200", "instance_id": "i1", "result": "agree"}]
    rows = [{"bill_no": "MO000200", "instance_id": "i1", "state": "agreed"}]
    once = {"i1": {"operationRecords": [{"type": "START_PROCESS_INSTANCE"}, {"type": "EXECUTE_TASK_NORMAL"}]}}
    assert approvals_once(decided, rows, once, [])["ok"]
    assert not approvals_once(decided, rows + [{"bill_no": "MO000200", "instance_id": "i2", "state": "pending"}],
                              once, [])["ok"]
    assert not approvals_once(decided, [{**rows[0], "state": "pending"}], once, [])["ok"]
    twice = {"i1": {"operationRecords": [{"type": "EXECUTE_TASK_NORMAL"}, {"type": "EXECUTE_TASK_NORMAL"}]}}
    assert not approvals_once(decided, rows, twice, [])["ok"]
    assert not approvals_once(decided, rows, once, ["MO000201"])["ok"]


def test_latency_windows_put_each_turn_in_the_window_it_was_sent_in():
    faults = [Fault("rasa_kill", "kill", start_s=10, end_s=20), Fault("redis_outage", "cut", start_s=40, end_s=50)]
    turns = [{"sent_ms": 1000 * s, "latency_s": lat, "deliveries": d}
             for s, lat, d in ((1, 0.5, 1), (12, 2.0, 1), (33, None, 1), (41, 4.0, 3), (70, 1.0, 1))]
    for n, t in enumerate(turns):
        t["msg_id"] = f"m{n}"
    windows = {w["window"]: w for w in latency_windows(turns, faults, 0, 80, tail_s=5, lost={"m2"}, no_reply={"m2"})}
    assert list(windows) == ["before", "rasa_kill", "between", "redis_outage", "after"]
    assert windows["before"]["latency"]["n"] == 1 and windows["rasa_kill"]["latency"]["max_ms"] == 2000
    assert windows["between"]["unexpected"] == 1 and windows["between"]["lost"] == 1 and windows["redis_outage"]["redelivered"] == 1
    assert windows["after"]["turns"] == 1


@pytest.fixture
def echo_port():
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=lambda c=conn: [c.sendall(d) for d in iter(lambda: c.recv(1024), b"")],
                             daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1]
    server.close()


def _echo(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        return s.recv(1024)


def test_the_proxy_passes_bytes_drops_connections_when_cut_and_recovers(echo_port):
    proxy = TcpProxy(echo_port)
    try:
        assert _echo(proxy.port, b"ping") == b"ping"
        held = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
        held.sendall(b"a")
        assert held.recv(10) == b"a"
        proxy.cut()
        assert held.recv(10) == b""  # the open connection was closed
        held.close()
        with pytest.raises(OSError):
            got = _echo(proxy.port, b"x")
            if not got:
                raise ConnectionResetError("closed at once")
        assert proxy.refused == 1
        proxy.restore()
        assert _echo(proxy.port, b"back") == b"back"
    finally:
        proxy.close()


def test_a_reply_sent_through_the_openapi_fallback_answers_its_message_when_dingtalk_recorded_it():
    log = ["2026-12-04 01:12:55 INFO connectors.dingtalk - dingtalk: message m2 accepted [rid=abc]",
           "2026-12-04 01:12:55 INFO connectors.dingtalk - dingtalk: message m1 accepted [rid=def]",
           "2026-12-04 01:13:05 INFO connectors.outbox - dingtalk outbox: reply to cidA sent via openapi [rid=abc]"]
    via = openapi_answers(log)
    assert via == {"m2": "cidA"}
    turns = [sent("m1"), sent("m2")]
    fallback = {**reply(2, None, "answer of m2"), "via": "openapi", "conversation_id": "cidA", "time_ms": 10_000}
    lost, _ = replies_once(turns, [reply(1, "m1"), fallback], via)
    assert lost["ok"]
    # the log alone is not enough: DingTalk must hold an OpenAPI message of that conversation
    lost, _ = replies_once(turns, [reply(1, "m1")], via)
    assert not lost["ok"] and lost["unanswered_examples"] == ["m2"]


def test_the_acceptance_logged_by_a_callback_ingress_links_the_openapi_reply_sent_by_rasa(tmp_path):
    """Behind the ingress, the message is accepted in the ingress's log and its reply sent in a
    Rasa server's: the judge reads both (the 190322Z run counted 9 such replies unanswered)."""
    from devtools.reliability.prod_faults import _channel_log_lines

    (tmp_path / "ingress1.log").write_text(
        "2026-12-04 18:54:16,622 INFO connectors.dingtalk: dingtalk: message m1 accepted [rid=abc]\n")
    (tmp_path / "rasa2.log").write_text(
        "2026-12-04 18:54:39 INFO     connectors.outbox  - dingtalk outbox: reply to cidA sent via openapi [rid=abc]\n")
    (tmp_path / "actions1.log").write_text("2026-12-04 18:54:16 INFO dingtalk: message m9 accepted [rid=zzz]\n")
    assert openapi_answers(_channel_log_lines(tmp_path)) == {"m1": "cidA"}


def test_a_webhook_reply_sent_again_through_the_openapi_is_a_doubled_reply():
    via = {"m1": "cidA"}  # the channel's log says m1's reply went out through the OpenAPI
    hooked = reply(1, "m1", "P20250401 已完成 40%")
    again = {**reply(2, None, "P20250401 已完成 40%"), "via": "openapi", "time_ms": 10}
    _lost, twice = replies_once([sent("m1")], [hooked, again], via)
    assert not twice["ok"] and twice["examples"][0]["via"] == "webhook + openapi"
    other = {**reply(2, None, "另一条"), "via": "openapi", "time_ms": 10}
    _lost, twice = replies_once([sent("m1")], [hooked, other], via)
    assert twice["ok"]


def test_a_bill_told_in_an_openapi_reply_of_a_confirmation_counts_as_told():
    from devtools.bench.harness import BILL_NO
    from devtools.reliability.invariants import bills_told_via_openapi

    confirm = {**sent("m2"), "kind": "create-confirm", "sent_ms": 100}
    told = {**reply(5, None, "Production order MO000209 was saved and submitted"), "via": "openapi", "time_ms": 200}
    assert bills_told_via_openapi([confirm], [told], {"m2": "cidA"}, BILL_NO) == {"MO000209"}
    assert bills_told_via_openapi([confirm], [told], {}, BILL_NO) == set()  # no OpenAPI send logged for it
    early = {**told, "time_ms": 50}
    assert bills_told_via_openapi([confirm], [early], {"m2": "cidA"}, BILL_NO) == set()


def test_a_bill_the_worker_finished_after_an_interrupted_write_counts_as_told():
    from devtools.reliability.prod_faults import resumed_bills
    from rasa_project.catalog import text

    notice = {"text": text("workflow.draft_resumed", "id") + "\nMO000335 BOM-2051 x 61"}
    assert resumed_bills([notice, {"text": "Pesanan MO000111 disetujui"}]) == {"MO000335"}
