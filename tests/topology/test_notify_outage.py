"""A notice DingTalk took while the database went away is marked sent when it is back, and the
work that sent it stands (issue 17, seen in prod-faults: the manager's approval card was sent, the
database was cut before the row was marked sent; the planner's confirmation answered "internal
error" for an order that had been written, and the card went out a second time after the lease).
On a real throwaway PostgreSQL database, cut (backends ended, connections refused) right after
DingTalk answered the send."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy.orm import sessionmaker

from devtools.simulators.dingtalk import create_app
from devtools.topology.prod_local import cut_database, restore_database
from dingtalk_client.messages import Text
from dingtalk_client.openapi import DingTalkOpenAPI
from rasa_project import db
from rasa_project.notify.outbox import SENDING_LEASE_S, NotificationOutbox
from rasa_project.settings import Settings
from rasa_project.wiring import dingtalk_config
from tests.dingtalk.conftest import ThreadedServer, free_port
from tests.pg import throwaway_database

pytestmark = pytest.mark.postgres


def test_a_notice_sent_during_a_database_cut_is_marked_sent_once_it_is_back(tmp_path):
    settings = Settings(var_dir=tmp_path, redis_url=None)
    app = create_app(settings)
    server = ThreadedServer(app, free_port()).start()
    try:
        settings.dingtalk_openapi_url = server.url
        api = DingTalkOpenAPI(dingtalk_config(settings))
        with throwaway_database("dingk3_notify") as url:
            engine = db.make_engine(url)
            restored = threading.Event()

            class CutAfterSend:
                """DingTalk's client: the send goes through, then the database is cut for 1.5 s."""

                def __getattr__(self, name):
                    return getattr(api, name)

                def send_to_users(self, staff_ids, message):
                    result = api.send_to_users(staff_ids, message)
                    cut_database(url)
                    threading.Timer(1.5, lambda: (restore_database(url), restored.set())).start()
                    return result

            outbox = NotificationOutbox(sessionmaker(bind=engine, future=True, expire_on_commit=False),
                                        CutAfterSend(), outage_s=30)
            assert outbox.send("card:CR-1:manager0001", Text("MO000294 待审批"), kind="approval",
                               staff_id="manager0001") is True  # no error for the caller: it was recorded and sent
            assert restored.is_set()
            [row] = outbox.list()
            assert row.state == "sent"
            later = outbox.now() + timedelta(seconds=SENDING_LEASE_S + 60)
            assert outbox.flush(later) == 0  # nothing left to send again
            sent = app.state.sim.messages(staff_id="manager0001")
            assert [m["text"] for m in sent] == ["MO000294 待审批"]
            engine.dispose()
        api.close()
    finally:
        server.stop()
