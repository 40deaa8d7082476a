"""A channel process that accepts a message and dies in its turn (``kill -9`` by the test).

``python -m tests.dingtalk.dying_bot <var_dir> <port> <marker> [answer]``: serves the DingTalk
callback on ``port`` with the dedupe store under ``var_dir`` and writes ``<marker>.ready``; the turn
writes its message id to ``marker`` and then never ends, so the process is killed with the turn
accepted, acknowledged and not done. With ``answer`` the turn first answers, as Rasa does while a
turn runs (its tracker is saved only at the end): killed before that save.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from connectors.dingtalk import DingTalkInput
from rasa_project.settings import Settings
from tests.dingtalk.conftest import Bot


def turn_settings(var_dir) -> Settings:
    return Settings(var_dir=var_dir, dingtalk_openapi_url="http://127.0.0.1:9", redis_url=None,
                    dingtalk_reply_origins=["https://oapi.dingtalk.com"], dingtalk_verify_speakers=False,
                    turn_lease_s=1.0, turn_sweep_s=0.2)


async def main(var_dir: str, port: int, marker: str, mode: str = "hang") -> None:
    async def hang(message) -> None:
        if mode == "answer":
            await message.output_channel.send_text_message(message.sender_id, "第一次运行的回答")
        Path(marker).write_text(message.message_id)
        await asyncio.Event().wait()

    bot = Bot(DingTalkInput(turn_settings(var_dir)), hang)
    bot.port, bot.url = port, f"http://127.0.0.1:{port}/webhooks/dingtalk"
    await bot.start()
    Path(marker + ".ready").write_text("ready")
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3], *sys.argv[4:5]))
