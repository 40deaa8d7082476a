"""A turn's replies leave with its tracker, not before (issue 17, prod-faults run of 2026-12-04).

Rasa sends a turn's messages while the turn runs and saves its tracker at the end. A Rasa server
killed in between had answered a turn the tracker store never got: "yes" answered "MO000156
saved", the tracker without it; the sweeper then found the person's later messages stored and
told them the "yes" was not run, which was false. The channel now holds a turn's replies and
queues them right before Rasa saves the tracker (``install_reply_commit``), or when the turn ends."""

from __future__ import annotations

import signal
from pathlib import Path
from types import SimpleNamespace

from rasa.core.processor import MessageProcessor
from rasa.shared.core.trackers import DialogueStateTracker

from connectors.dedupe import SQLiteDedupe
from connectors.dingtalk import install_reply_commit
from connectors.reply_queue import make_reply_store
from tests.dingtalk.conftest import free_port
from tests.dingtalk.dying_bot import turn_settings
from tests.dingtalk.test_channel import post, spec_body
from tests.dingtalk.test_turn_lease import start_dying_bot
from tests.polling import async_wait_until


def queued(settings) -> int:
    return make_reply_store(settings).stats()[0]


async def test_a_turn_killed_after_answering_before_its_tracker_save_has_shown_nothing(make_bot, tmp_path):
    """Process A answers inside the turn and is killed -9 before the turn ends (before Rasa would
    save the tracker): nothing of it was queued, so nothing reaches the person; process B runs
    the turn again and its answer is queued once."""
    settings = turn_settings(tmp_path)
    port, marker = free_port(), tmp_path / "started"
    dying = start_dying_bot(tmp_path, port, marker, "answer")
    try:
        ready = Path(f"{marker}.ready")
        await async_wait_until(lambda: ready.exists() or dying.poll() is not None, timeout_s=60)
        assert ready.exists(), (tmp_path / "dying_bot.log").read_text()
        accepted = await post(SimpleNamespace(url=f"http://127.0.0.1:{port}/webhooks/dingtalk"), spec_body())
        assert accepted.status_code == 200
        await async_wait_until(marker.exists, timeout_s=10)  # it has answered, the turn goes on
        dying.send_signal(signal.SIGKILL)
        dying.wait(10)
    finally:
        dying.kill()
    assert queued(settings) == 0  # the answer never left the dead process

    async def answer(message) -> None:
        await message.output_channel.send_text_message(message.sender_id, "第二次运行的回答")

    bot = await make_bot(answer, channel_settings=settings, dedupe=SQLiteDedupe(tmp_path / "dingtalk_dedupe.db", 3600))
    await async_wait_until(lambda: bot.received, timeout_s=15)
    await async_wait_until(lambda: queued(settings) == 1, timeout_s=10)  # (DingTalk unreachable: it stays)
    assert [m.message_id for m in bot.received] == ["msgQ2v8Yk0dC4lE3=="]


async def test_replies_are_queued_right_before_rasa_saves_the_tracker(make_bot, tmp_path):
    """Through Rasa's own ``MessageProcessor.save_tracker`` (patched once per process): nothing
    queued while the turn runs, everything queued when the save starts, in order."""
    install_reply_commit()
    settings = turn_settings(tmp_path)
    seen = []

    async def save(tracker) -> None:
        seen.append(("at save", queued(settings)))

    processor = MessageProcessor.__new__(MessageProcessor)  # only its tracker store is used here
    processor.tracker_store = SimpleNamespace(save=save)

    async def rasa_like_turn(message) -> None:
        await message.output_channel.send_text_message(message.sender_id, "一")
        await message.output_channel.send_text_message(message.sender_id, "二")
        seen.append(("running", queued(settings)))
        await processor.save_tracker(DialogueStateTracker(message.sender_id, []))
        await message.output_channel.send_text_message(message.sender_id, "三")  # after the save: at once
        seen.append(("after save", queued(settings)))

    bot = await make_bot(rasa_like_turn, channel_settings=settings)
    assert (await post(bot, spec_body())).status_code == 200
    await async_wait_until(lambda: len(seen) == 3, timeout_s=15)
    assert seen == [("running", 0), ("at save", 2), ("after save", 3)]


async def test_a_turn_that_fails_still_says_what_it_said_and_the_error(make_bot, tmp_path):
    settings = turn_settings(tmp_path)

    async def fails(message) -> None:
        await message.output_channel.send_text_message(message.sender_id, "已收到")
        raise RuntimeError("boom")

    bot = await make_bot(fails, channel_settings=settings)
    assert (await post(bot, spec_body())).status_code == 200
    await async_wait_until(lambda: queued(settings) == 2, timeout_s=15)


def test_the_channel_rasa_builds_installs_the_commit_in_its_process(settings, monkeypatch):
    """Rasa builds the channel's blueprint in its server process: that is where the hook goes in."""
    from connectors import dingtalk

    install_reply_commit()
    rasa_own = dingtalk._rasa_save_tracker[0]
    monkeypatch.setattr(MessageProcessor, "save_tracker", rasa_own)  # as in a fresh process
    monkeypatch.setattr(dingtalk, "_committing", False)
    monkeypatch.setattr(dingtalk, "_rasa_save_tracker", [])
    dingtalk.DingTalkInput(settings).blueprint(lambda message: None)
    assert MessageProcessor.save_tracker is not rasa_own
    assert dingtalk._rasa_save_tracker == [rasa_own]
