"""Rasa's model graph (NLU and policy prediction) off the Rasa server's event loop (issue 18).

Rasa 3.6's ``MessageProcessor`` runs the model graph synchronously inside its coroutines
(``parse_message`` -> ``_parse_message_with_graph``, ``_run_prediction_loop`` ->
``predict_next_with_tracker_if_should``): while one turn's NLU runs, the whole Sanic loop stands
still, so a DingTalk callback arriving meanwhile is acknowledged only after it (measured: ack p99
in seconds at 50 concurrent conversations), and the action calls, tracker saves and reply sends of
every other turn wait as well.

``install()`` replaces those two coroutines with copies (of Rasa 3.6.21, checked at install) that
run the same synchronous calls in a small dedicated thread pool, timing each stage for /metrics
(``dingk3_turn_stage_seconds``: nlu, policy, action_call). With one thread (the default) graph
runs stay strictly one at a time, as before; only the loop is free. A turn still holds its
conversation's lock for the whole time, so no tracker is touched by two threads at once.

Rasa's ``SQLTrackerStore`` is async in name only: its reads (query + rebuilding the tracker from its
events, longer with every turn) and saves (a commit) run on the loop too. They go to a second
one-thread pool (stage ``tracker``), so they stay one at a time, as before, but beside the model.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import time
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

RASA_VERSIONS = ("3.6.",)  # the copied coroutines below follow these releases
_pool: ThreadPoolExecutor | None = None
_io_pool: ThreadPoolExecutor | None = None  # the SQL tracker store's reads and saves, one at a time
_originals: dict = {}


async def _in_pool(stage: str, fn, *args, pool: str = "graph"):
    from rasa_project import metrics

    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    started = time.monotonic()
    executor = _pool if pool == "graph" else _io_pool
    try:
        if executor is None:  # threads=0: on the loop, as Rasa itself does (timed all the same)
            return fn(*args)
        return await loop.run_in_executor(executor, functools.partial(context.run, fn, *args))
    finally:
        metrics.observe_stage(stage, time.monotonic() - started)


def _drive(coro):
    """Run a coroutine that never awaits (Rasa's SQL tracker store is async in name only)."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise RuntimeError("the tracker store awaited something: it cannot run in a worker thread")


def install(threads: int = 1) -> bool:
    """Patch ``MessageProcessor`` once per process; False when already done or not this Rasa.
    ``threads=0`` keeps the graph on the event loop (Rasa's own behaviour, for comparison) and
    only times its stages."""
    global _pool, _io_pool
    import rasa
    from rasa.core.processor import MessageProcessor
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.exceptions import ActionLimitReached
    from rasa.shared.core.trackers import DialogueStateTracker

    if getattr(MessageProcessor, "_dingk3_offloaded", False):
        return False
    if not rasa.__version__.startswith(RASA_VERSIONS):
        log.warning("rasa %s: model graph left on the event loop (offload written for %s)", rasa.__version__,
                    RASA_VERSIONS)
        return False
    _pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="rasa-graph") if threads > 0 else None
    _io_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rasa-tracker") if threads > 0 else None
    original_retrieve, original_save = SQLTrackerStore._retrieve, SQLTrackerStore.save

    async def _retrieve(self, sender_id, fetch_events_from_all_sessions):
        return await _in_pool("tracker", lambda: _drive(original_retrieve(self, sender_id, fetch_events_from_all_sessions)),
                              pool="io")

    async def save(self, tracker) -> None:
        if self.event_broker is not None:  # streaming events reads the old tracker: Rasa's own way
            return await original_save(self, tracker)
        return await _in_pool("tracker", lambda: _drive(original_save(self, tracker)), pool="io")

    async def parse_message(self, message, tracker=None, only_output_properties=True):
        if self.http_interpreter:
            parse_data = await self.http_interpreter.parse(message)
        else:
            if tracker is None:
                tracker = DialogueStateTracker.from_events(message.sender_id, [])
            parse_data = await _in_pool("nlu", self._parse_message_with_graph, message, tracker, only_output_properties)
        self._update_full_retrieval_intent(parse_data)
        self._check_for_unseen_features(parse_data)
        return parse_data

    async def _run_prediction_loop(self, output_channel, tracker) -> None:
        from rasa_project import metrics

        should_predict_another_action = True
        while should_predict_another_action and self._should_handle_message(tracker):
            try:
                action, prediction = await _in_pool("policy", self.predict_next_with_tracker_if_should, tracker)
            except ActionLimitReached:
                log.warning("Circuit breaker tripped. Stopped predicting more actions for sender '%s'.",
                            tracker.sender_id)
                if self.on_circuit_break:
                    self.on_circuit_break(tracker, output_channel, self.nlg)
                break
            if prediction.is_end_to_end_prediction:
                tracker = await self.run_action_extract_slots(output_channel, tracker)
            started = time.monotonic()
            should_predict_another_action = await self._run_action(
                action, tracker, output_channel, self.nlg, prediction
            )
            metrics.observe_stage("action_call", time.monotonic() - started)

    _originals.update(parse_message=MessageProcessor.parse_message,
                      _run_prediction_loop=MessageProcessor._run_prediction_loop,
                      _retrieve=original_retrieve, save=original_save)
    MessageProcessor.parse_message = parse_message
    MessageProcessor._run_prediction_loop = _run_prediction_loop
    SQLTrackerStore._retrieve = _retrieve
    SQLTrackerStore.save = save
    MessageProcessor._dingk3_offloaded = True
    return True


def uninstall() -> None:
    """Put Rasa's own coroutines back (tests)."""
    global _pool, _io_pool
    from rasa.core.processor import MessageProcessor
    from rasa.core.tracker_store import SQLTrackerStore

    for name in ("parse_message", "_run_prediction_loop"):
        setattr(MessageProcessor, name, _originals[name])
    for name in ("_retrieve", "save"):
        setattr(SQLTrackerStore, name, _originals[name])
    _originals.clear()
    MessageProcessor._dingk3_offloaded = False
    for pool in (_pool, _io_pool):
        if pool is not None:
            pool.shutdown(wait=False)
    _pool = _io_pool = None
