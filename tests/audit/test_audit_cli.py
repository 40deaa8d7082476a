"""`dingk3 audit verify | show | tail` through the process-wide trail (full `migrate()` of all heads)."""

from __future__ import annotations

import argparse

import pytest
from sqlalchemy import text

from rasa_project import db
from rasa_project.audit import cli
from rasa_project.settings import get_settings
from rasa_project.wiring import current


def get_audit_trail():
    return current().audit  # the process-wide trail


@pytest.fixture
def settings_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'dingk3.db'}"
    monkeypatch.setenv("DINGK3_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="dingk3")
    cli.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(list(argv))
    return args.func(args)


def test_verify_show_and_tail(settings_db, capsys):
    trail = get_audit_trail()
    assert trail is get_audit_trail()
    trail.record("inbound", actor="pmc0001", conversation_id="cidPMC0001", text="查一下P20250401")
    trail.record(
        "decision", actor="pmc0001", order_bill_no="P20250401", permission="order_query", allowed=True
    )
    trail.record("reply", actor="pmc0001", order_bill_no="P20250401", key="order.status", lang="zh")
    assert run("audit", "verify") == 0
    assert "3 records verified" in capsys.readouterr().out
    assert run("audit", "show", "--order", "P20250401") == 0
    shown = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in shown] == ["#2", "#3"]
    assert 'permission="order_query"' in shown[0]
    assert run("audit", "tail", "-n", "1") == 0
    assert capsys.readouterr().out.startswith("#3 ")


def test_verify_exits_1_and_names_the_first_broken_record(settings_db, capsys):
    trail = get_audit_trail()
    for n in range(4):
        trail.record("nlu", actor="prod0002", intent="report_output", seq=n)
    with db.make_engine(settings_db).begin() as conn:
        conn.execute(
            text("UPDATE audit_log SET payload = :p WHERE id = 2"), {"p": '{"intent":"cancel","seq":1}'}
        )
    assert run("audit", "verify") == 1
    out = capsys.readouterr().out
    assert "#2" in out and "hash_mismatch" in out
    assert run("audit", "verify", "--lang", "zh") == 1
    assert "第一条异常记录是 #2" in capsys.readouterr().out
