"""Anchors outside the trail (issue 20 §6) catch what the chain alone cannot: someone with the
database's credentials rewriting the whole chain and its head row, or cutting off its tail."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone

import pytest

from rasa_project.audit import cli
from rasa_project.audit.anchor import Anchor, append_anchor, make_anchor, read_anchors
from rasa_project.audit.chain import GENESIS_HASH, chain_hash, format_created_at, record_content
from rasa_project.settings import get_settings
from rasa_project.wiring import current

KEY = "anchor-key-for-tests-0123456789"
AT = datetime(2025, 4, 1, 1, 0, tzinfo=timezone.utc)


def rewrite_everything(raw_sql, *, change_id: int, payload: dict, keep_upto: int | None = None) -> None:
    """What an insider with the bot's database user does: change a record, then recompute every
    hash after it and the head row, so the chain verifies again (optionally cutting the tail)."""
    rows = raw_sql("SELECT * FROM audit_log ORDER BY id")
    if keep_upto is not None:
        raw_sql("DELETE FROM audit_log WHERE id > :n", n=keep_upto)
        rows = rows[:keep_upto]
    prev = GENESIS_HASH
    for row in rows:
        body = payload if row["id"] == change_id else json.loads(row["payload"])
        created = row["created_at"]
        if isinstance(created, str):
            created = datetime.fromisoformat(created)
        content = record_content(id=row["id"], created_at=created, kind=row["kind"], actor=row["actor"],
                                 conversation_id=row["conversation_id"], order_bill_no=row["order_bill_no"],
                                 payload=body)
        new_hash = chain_hash(prev, content)
        raw_sql("UPDATE audit_log SET payload = :p, prev_hash = :ph, hash = :h WHERE id = :id",
                p=json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")), ph=prev, h=new_hash,
                id=row["id"])
        prev = new_hash
    raw_sql("UPDATE audit_chain_head SET last_id = :n, last_hash = :h WHERE id = 1", n=rows[-1]["id"], h=prev)


def story(trail, n: int = 6) -> None:
    for i in range(n):
        trail.record("decision", actor="manager0001", order_bill_no="MO000124", event="approve", seq=i)


def test_a_rewritten_chain_verifies_by_itself_but_not_against_its_anchors(trail, raw_sql, tmp_path):
    path = tmp_path / "anchors.jsonl"
    story(trail, 3)
    append_anchor(path, make_anchor(KEY, trail.head(), AT))
    story(trail, 3)
    append_anchor(path, make_anchor(KEY, trail.head(), AT))
    assert trail.verify_anchors(read_anchors(path), KEY).ok

    rewrite_everything(raw_sql, change_id=2, payload={"event": "reject", "seq": 1})
    assert trail.verify().ok  # every link and the head agree: the chain alone cannot tell
    found = trail.verify_anchors(read_anchors(path), KEY)
    assert not found.ok and found.reason == "hash_mismatch" and found.anchor_id == 3


def test_a_cut_off_tail_with_a_rewritten_head_is_found(trail, raw_sql, tmp_path):
    path = tmp_path / "anchors.jsonl"
    story(trail, 6)
    append_anchor(path, make_anchor(KEY, trail.head(), AT))
    rewrite_everything(raw_sql, change_id=0, payload={}, keep_upto=4)
    assert trail.verify().ok
    found = trail.verify_anchors(read_anchors(path), KEY)
    assert not found.ok and found.reason == "record_missing" and found.anchor_id == 6


def test_anchors_the_insider_writes_without_the_key_are_rejected(trail, raw_sql, tmp_path):
    path = tmp_path / "anchors.jsonl"
    story(trail, 2)
    append_anchor(path, make_anchor(KEY, trail.head(), AT))
    rewrite_everything(raw_sql, change_id=1, payload={"event": "reject"})
    append_anchor(path, make_anchor("a-key-the-insider-made-up", trail.head(), AT))  # to cover the rewrite
    found = trail.verify_anchors(read_anchors(path), KEY)
    assert not found.ok and found.reason == "mac_invalid"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("not an anchor\n")
    assert trail.verify_anchors(read_anchors(path)[:1] + [None], KEY).reason == "malformed"


def test_anchor_lines_are_appended_and_signed():
    anchor = make_anchor(KEY, (7, "ab" * 32), AT)
    assert Anchor.from_line(anchor.to_line()) == anchor and anchor.is_signed_by(KEY)
    assert not Anchor(7, "cd" * 32, anchor.at, anchor.mac).is_signed_by(KEY)
    assert anchor.at == format_created_at(AT)


@pytest.fixture
def settings_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'dingk3.db'}"
    monkeypatch.setenv("DINGK3_DATABASE_URL", url)
    monkeypatch.setenv("DINGK3_AUDIT_ANCHOR_PATH", str(tmp_path / "anchors" / "audit.jsonl"))
    monkeypatch.setenv("DINGK3_AUDIT_ANCHOR_KEY", KEY)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="dingk3")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_the_commands_export_and_check_anchors(settings_db, tmp_path, capsys):
    from sqlalchemy import text

    from rasa_project import db

    trail = current().audit  # the process-wide trail
    story(trail, 4)
    assert run("audit", "anchor") == 0
    path = get_settings().audit_anchor_file
    assert "#4" in capsys.readouterr().out and len(path.read_text().splitlines()) == 1
    assert run("audit", "verify", "--anchors", str(path)) == 0
    assert "1 outside anchors" in capsys.readouterr().out

    engine = db.make_engine(settings_db)

    def raw_sql(sql, **params):
        with engine.begin() as conn:
            result = conn.execute(text(sql), params)
            return [dict(r) for r in result.mappings()] if result.returns_rows else result.rowcount

    rewrite_everything(raw_sql, change_id=3, payload={"event": "reject", "seq": 2})
    engine.dispose()
    assert run("audit", "verify") == 0  # the chain by itself: intact
    capsys.readouterr()
    assert run("audit", "verify", "--anchors", str(path)) == 1
    out = capsys.readouterr().out
    assert "does NOT match" in out and "#4" in out and "hash_mismatch" in out
