"""An app written with the official dingtalk-stream SDK, unchanged, subscribed to all events
(``register_all_event_handler``); run with .venv-sdk/bin/python.

usage: sdk_stream_events.py <openapi endpoint> <app key> <app secret>
Prints one JSON line per EVENT frame (the SDK's parsed headers and data) and acks it OK.
"""

import json
import os
import sys

os.environ["DINGTALK_OPENAPI_ENDPOINT"] = sys.argv[1]  # read by the SDK at import time

import dingtalk_stream
from dingtalk_stream import AckMessage


class AllEvents(dingtalk_stream.EventHandler):
    async def process(self, event: dingtalk_stream.EventMessage):
        h = event.headers
        print("EVENT", json.dumps({"event_type": h.event_type, "event_id": h.event_id, "corp_id": h.event_corp_id,
                                   "born": h.event_born_time, "unified_app_id": h.event_unified_app_id,
                                   "message_id": h.message_id, "time": h.time, "data": event.data},
                                  ensure_ascii=False), flush=True)
        return AckMessage.STATUS_OK, "OK"


client = dingtalk_stream.DingTalkStreamClient(dingtalk_stream.Credential(sys.argv[2], sys.argv[3]))
client.register_all_event_handler(AllEvents())
client.start_forever()
