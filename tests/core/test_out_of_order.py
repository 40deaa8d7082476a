"""A message DingTalk delivers after a later message of the same person was handled (a retry after
an outage) is not acted on (actions/base.py); the e2e test presses it through the real channel
(tests/e2e/test_5b_confirm_undo.py)."""

from rasa_sdk import Tracker

from actions.base import delivered_after_a_later_message


def tracker(latest_created, *earlier):
    events = [{"event": "user", "message_id": f"m{i}", "metadata": {"created_ms": c}} for i, c in enumerate(earlier)]
    latest = {"text": "确认", "message_id": "late", "metadata": {"created_ms": latest_created}}
    events.append({"event": "user", **latest})
    return Tracker("cidPMC0001:pmc0001", {}, latest, events, False, None, {}, "action_listen")


def test_a_message_older_than_one_already_handled_is_out_of_order():
    assert delivered_after_a_later_message(tracker(1_000, 500, 2_000))
    assert not delivered_after_a_later_message(tracker(3_000, 500, 2_000))  # the usual order
    assert not delivered_after_a_later_message(tracker(None, 500, 2_000))  # no createAt (a card press)
    assert not delivered_after_a_later_message(tracker(1_000, None))  # earlier turns without one
