"""One request id followed through the logs (issue 17 item 6): the DingTalk callback in the log of
the process that acknowledged it (the callback ingress, else the Rasa server), its hand-off and turn
in the Rasa server's log, the action call and its K/3 reads in the action server's log, and the
reply sent back to DingTalk, all under the id the channel gave the message."""

import re
import time

import pytest

pytestmark = pytest.mark.stack


def _lines(path, needle: str) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if needle in line]


def test_one_request_id_follows_a_message_to_k3_and_back(chat, stack):
    running, settings = stack
    logs = settings.var_dir / "logs"
    via_ingress = any(s.name == "ingress" for s in running.services)
    acknowledged_in = logs / ("ingress.log" if via_ingress else "rasa.log")
    start = chat.mark()
    sent = chat.send("pmc0001", "P20250401 的进度怎么样")
    deadline = time.monotonic() + 60
    while not any("P20250401" in r.text for r in chat.replies(start, conversation_id="cidPMC0001")):
        assert time.monotonic() < deadline, "no answer"
        time.sleep(0.2)

    def rid_of_message():
        found = _lines(acknowledged_in, f"dingtalk: message {sent['msgId']} accepted")
        return re.search(r"\[rid=([A-Za-z0-9._:-]+)\]", found[0]).group(1) if found else None

    while (rid := rid_of_message()) is None:
        assert time.monotonic() < deadline, "the callback was not logged with a request id"
        time.sleep(0.2)
    tag = f"[rid={rid}]"
    if via_ingress:  # handed to the Rasa server under the same id
        assert any(f"message {sent['msgId']} handed over by the ingress" in line
                   for line in _lines(logs / "rasa.log", tag))
    # the reply went back under the same id (written when the send returned)
    while not [line for line in _lines(logs / "rasa.log", tag) if "dingtalk outbox: reply to cidPMC0001 sent" in line]:
        assert time.monotonic() < deadline, "the reply's send was not logged under the request id"
        time.sleep(0.2)
    actions = _lines(logs / "actions.log", tag)
    assert any("action server: " in line for line in actions), actions  # Rasa passed it on
    assert any(re.search(r"K/3 \w+ PRD_MO ok in \d+ ms", line) for line in actions), actions  # the K/3 read
    # and no other message's lines carry it
    assert not _lines(logs / "worker.log", tag)
