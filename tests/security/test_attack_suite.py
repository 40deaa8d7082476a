"""The attack suite's own honesty, without a running system: a class that could not run is reported
as pending (never as "0 accepted"), every free-text field is covered, every class has a module."""

from __future__ import annotations

import importlib

from devtools.security.attacks.injection import PAYLOADS, plan, without_examples
from devtools.security.context import PENDING, Result
from devtools.security.report import markdown
from devtools.security.run import CLASSES


def test_every_class_is_a_module_with_a_run():
    for name in CLASSES:
        assert callable(importlib.import_module(f"devtools.security.attacks.{name}").run), name


def test_pending_classes_are_reported_as_pending_not_as_zero():
    done = Result("replay", "Replayed signatures", tried=200, accepted=0)
    pending = Result("events", "Forged events", status=PENDING, note="route not served")
    report = {"attempts_per_class": 200, "duration_s": 1.0, "logs": "x", "settings": {}, "checks": {"details": {}},
              "classes": [done.as_dict(), pending.as_dict()]}
    rows = [line for line in markdown(report).splitlines() if line.startswith("| Forged events")]
    assert rows == ["| Forged events | pending | pending | – | route not served |"]


def test_injection_covers_the_text_the_nickname_and_the_title_with_every_payload():
    attempts = plan(200)
    assert len(attempts) == 200
    assert {field for _, _, field, _, _ in attempts} == {"text", "senderNick", "conversationTitle"}
    assert set(PAYLOADS) <= {payload for *_, payload in attempts}


def test_the_catalogs_example_order_numbers_are_not_taken_for_data():
    assert "P20250401" not in without_examples("要给哪个生产订单报工？请写单号，例如 P20250401。")
    assert "P20250403" in without_examples("生产订单 P20250403：状态 开工")


def test_the_web_classes_are_all_there_and_their_judges_can_say_accepted():
    from devtools.security.attacks import web_pages

    assert {name for name, _ in web_pages.CLASSES} == {
        "signin_bruteforce", "csrf", "session_fixation", "cookies", "role_bypass", "oauth", "page_injection",
        "export_formulas", "headers"}
    base = "http://127.0.0.1:8803"
    for location in ("//evil.example/", "/\\evil.example", "/\t/evil.example", "https://evil.example", "javascript:x"):
        assert web_pages._leaves_site(base, location), location
    for location in ("/", "/orders?q=1", "/login?next=%2F%2Fevil.example", None):
        assert not web_pages._leaves_site(base, location), location
