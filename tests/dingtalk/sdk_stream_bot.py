"""A robot written with the official dingtalk-stream SDK, unchanged; run with .venv-sdk/bin/python.

usage: sdk_stream_bot.py <openapi endpoint> <app key> <app secret>
Replies "sdk echo: <text>" through the sessionWebhook (SDK reply_text) and answers card callbacks
by approving the card (the SDK wraps the returned dict as {"response": ...} in the ack).
"""

import json
import os
import sys

os.environ["DINGTALK_OPENAPI_ENDPOINT"] = sys.argv[1]  # read by the SDK at import time

import dingtalk_stream
from dingtalk_stream import AckMessage


class Echo(dingtalk_stream.ChatbotHandler):
    async def process(self, callback):
        incoming = dingtalk_stream.ChatbotMessage.from_dict(callback.data)
        self.reply_text("sdk echo: " + incoming.text.content.strip(), incoming)
        return AckMessage.STATUS_OK, "OK"


class Card(dingtalk_stream.CallbackHandler):
    async def process(self, callback):
        message = dingtalk_stream.CardCallbackMessage.from_dict(callback.data)
        print("CARD", json.dumps({"id": message.card_instance_id, "user": message.user_id,
                                  "content": message.content}), flush=True)
        return AckMessage.STATUS_OK, {"cardData": {"cardParamMap": {"status": "approved"}},
                                      "cardUpdateOptions": {"updateCardDataByKey": True}}


client = dingtalk_stream.DingTalkStreamClient(dingtalk_stream.Credential(sys.argv[2], sys.argv[3]))
client.register_callback_handler(dingtalk_stream.ChatbotMessage.TOPIC, Echo())
client.register_callback_handler(dingtalk_stream.CallbackHandler.TOPIC_CARD_CALLBACK, Card())
client.start_forever()
