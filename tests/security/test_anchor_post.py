"""An anchor also goes to the audit group when one is set (issue 20 §6): a second copy, in DingTalk,
that nobody with the bot's database can take back. Through the DingTalk simulator's OpenAPI."""

from __future__ import annotations

from sqlalchemy.orm import sessionmaker

from dingtalk_client.openapi import DingTalkOpenAPI
from rasa_project import db
from rasa_project.audit.anchor import AnchorWorker, read_anchors
from rasa_project.audit.trail import AuditTrail
from rasa_project.wiring import dingtalk_config
from tests.security.conftest import sim_messages


def test_each_anchor_is_appended_and_posted_to_the_audit_group(sim, settings, tmp_path):
    sim_url, _ = sim
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    db.migrate(url, "audit@head")
    engine = db.make_engine(url)
    trail = AuditTrail(sessionmaker(bind=engine, future=True), secrets=())
    trail.record("system", actor="bot", event="started")
    settings.audit_anchor_group = "cidPMC0001"
    settings.audit_anchor_path = tmp_path / "anchors.jsonl"
    worker = AnchorWorker(settings, trail, openapi=DingTalkOpenAPI(dingtalk_config(settings)))
    first = worker.anchor_now()
    trail.record("system", actor="bot", event="again")
    second = worker.anchor_now()
    assert [a.id for a in read_anchors(settings.audit_anchor_file)] == [1, 2]
    assert trail.verify_anchors(read_anchors(settings.audit_anchor_file),
                                settings.audit_anchor_key.get_secret_value()).ok
    posted = [m["text"] for m in sim_messages(sim_url, conversation_id="cidPMC0001")]
    assert len(posted) == 2 and first.hash in posted[0] and second.mac in posted[1]
    assert settings.audit_anchor_key.get_secret_value() not in "".join(posted)
    engine.dispose()
