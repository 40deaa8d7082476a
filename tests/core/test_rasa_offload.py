"""Rasa's model graph runs off the Rasa server's event loop (rasa_project.rasa_offload, issue 18):
while one turn's NLU or policy prediction runs, the loop still answers (callbacks are acknowledged,
other turns go on). Rasa's MessageProcessor with its graph calls replaced by ones that block until
the loop has run something else; without the offload they would wait in vain."""

from __future__ import annotations

import asyncio
import threading

import pytest
from rasa.core.processor import MessageProcessor

from rasa_project import rasa_offload


@pytest.fixture
def offloaded():
    assert rasa_offload.install(1)
    assert not rasa_offload.install(1)  # once per process
    yield
    rasa_offload.uninstall()


def _processor(graph_call):
    processor = object.__new__(MessageProcessor)  # no model: only the graph calls are exercised
    processor.http_interpreter = None
    processor._parse_message_with_graph = lambda message, tracker, only_output: graph_call()
    processor._update_full_retrieval_intent = lambda parse_data: None
    processor._check_for_unseen_features = lambda parse_data: None
    return processor


async def _graph_call_while_loop_runs(call_graph, patience_s: float = 10.0) -> tuple[bool, object]:
    """Start ``call_graph(blocking)`` and, meanwhile, a task on the loop; ``blocking`` waits (up to
    ``patience_s``) for that task. True when the loop ran it while the graph call was in progress."""
    loop_ran = threading.Event()
    seen = {}

    def blocking():
        seen["loop_ran_meanwhile"] = loop_ran.wait(timeout=patience_s)
        return {"text": "x", "intent": {"name": "greet", "confidence": 1.0}, "entities": []}

    async def other_work():
        loop_ran.set()

    other = asyncio.ensure_future(other_work())
    result = await call_graph(blocking)
    await other
    return seen["loop_ran_meanwhile"], result


def test_nlu_runs_in_a_worker_thread_and_the_loop_answers_meanwhile(offloaded):
    from rasa.core.channels.channel import UserMessage

    async def parse(blocking):
        return await _processor(blocking).parse_message(UserMessage("x", sender_id="s"))

    ran, parse_data = asyncio.run(_graph_call_while_loop_runs(parse))
    assert ran
    assert parse_data["intent"]["name"] == "greet"


def test_policy_prediction_runs_in_a_worker_thread(offloaded):
    from rasa.core.policies.policy import PolicyPrediction

    actions_run = []

    async def predict_loop(blocking):
        processor = _processor(blocking)

        def predict(tracker):
            blocking()
            return "action_listen", PolicyPrediction([1.0], "p")

        async def run_action(action, tracker, output, nlg, prediction):
            actions_run.append(action)
            return False  # listen: the loop ends

        processor.predict_next_with_tracker_if_should = predict
        processor._should_handle_message = lambda tracker: True
        processor._run_action = run_action
        processor.on_circuit_break = None
        processor.nlg = None
        await processor._run_prediction_loop(None, object())

    ran, _ = asyncio.run(_graph_call_while_loop_runs(predict_loop))
    assert ran
    assert actions_run == ["action_listen"]


def test_without_the_offload_the_graph_call_holds_the_loop():
    """The premise: Rasa's own parse_message runs the graph on the loop (so the test above can fail)."""
    from rasa.core.channels.channel import UserMessage

    assert not getattr(MessageProcessor, "_dingk3_offloaded", False)

    async def parse(blocking):
        processor = _processor(lambda: blocking())
        return await processor.parse_message(UserMessage("x", sender_id="s"))

    ran, _ = asyncio.run(_graph_call_while_loop_runs(parse, patience_s=1.0))
    assert not ran


def test_with_no_threads_the_graph_stays_on_the_loop_and_is_still_timed():
    """``rasa_graph_threads=0``: Rasa's own behaviour, for the before/after of ``make bench``."""
    from rasa.core.channels.channel import UserMessage

    from rasa_project import metrics

    def observed() -> float:
        return metrics.REGISTRY.get_sample_value("dingk3_turn_stage_seconds_count", {"stage": "nlu"}) or 0.0

    assert rasa_offload.install(0)
    try:
        before = observed()

        async def parse(blocking):
            return await _processor(blocking).parse_message(UserMessage("x", sender_id="s"))

        ran, _ = asyncio.run(_graph_call_while_loop_runs(parse, patience_s=1.0))
        assert not ran
        assert observed() == before + 1
    finally:
        rasa_offload.uninstall()


def test_the_sql_tracker_store_reads_and_saves_in_a_worker_thread(offloaded, tmp_path):
    import threading as th

    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    store = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))
    threads: list[str] = []
    scope = store.session_scope

    def recorded_scope():
        threads.append(th.current_thread().name)
        return scope()

    store.session_scope = recorded_scope
    tracker = DialogueStateTracker.from_events("cid1:prod0001", [ActionExecuted("action_listen"),
                                                                  UserUttered("P20250401 进度怎么样")])

    async def roundtrip():
        await store.save(tracker)
        return await store.retrieve("cid1:prod0001")

    again = asyncio.run(roundtrip())
    assert [e.as_dict()["event"] for e in again.events] == ["action", "user"]
    assert again.latest_message.text == "P20250401 进度怎么样"
    assert threads and all(name.startswith("rasa-tracker") for name in threads), threads
