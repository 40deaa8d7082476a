"""Delay risk over the live factory (issue 15): the K/3 simulator read in bulk by the same
factory-state reader as the change checks, warnings to the PMC group through the SQL outbox and
the DingTalk simulator, once across workers and restarts, the business-clock schedule, the daily
digest, and rescheduling options shown and taken in chat."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from k3_client import K3Client
from rasa_project.chat import access
from rasa_project.chat.turn import Turn
from rasa_project.clock import BusinessClock, clock_from
from rasa_project.mapping import load_mapping
from rasa_project.notify.outbox import NotificationOutbox
from rasa_project.ordering.delay_risk import DelayRisk, option_number
from rasa_project.wiring import Wiring, k3_config

PMC = "cidPMC0001"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def business(day: int, hour: int = 9) -> BusinessClock:
    return BusinessClock(SHANGHAI, datetime(2025, 4, day, hour, 0, tzinfo=SHANGHAI))


@pytest.fixture
def make_risk(settings, Session, audit, wall, openapi):
    """``make_risk(clock)``: a DelayRisk as one worker process has it (own K/3 client and outbox)."""
    clients: list[K3Client] = []
    mapping = load_mapping(settings.mapping_dir)

    def _make(clock: BusinessClock | None = None, calls: list | None = None, **overrides) -> DelayRisk:
        k3 = K3Client(k3_config(settings), observer=calls.append if calls is not None else None)
        clients.append(k3)
        outbox = NotificationOutbox(Session, openapi, now=wall)
        these = settings.copy(update=overrides) if overrides else settings
        return DelayRisk(k3, lambda: mapping, clock or clock_from(settings), Session, these, outbox, now=wall,
                         audit=audit)  # fmt: skip

    yield _make
    for client in clients:
        client.close()


def warnings(dingtalk_sim) -> Counter:
    """How many delay warnings the PMC group got per order (digests and recoveries not counted)."""
    texts = dingtalk_sim.texts(conversation_id=PMC)
    found = Counter()
    for text in texts:
        if "延期预警" in text:
            bill_no = text.split("延期预警：", 1)[1].split("（", 1)[0].strip()
            found[bill_no] += 1
    return found


def recoveries(dingtalk_sim) -> list[str]:
    return [t for t in dingtalk_sim.texts(conversation_id=PMC) if "✅" in t]


def test_the_live_demo_factory_has_two_late_orders_one_at_risk_and_one_on_track(make_risk, dingtalk_sim):
    board = make_risk().board()

    assert {r.bill_no: r.level.value for r in board} == {
        "P20250401": "late", "P20250402": "late", "P20250403": "at_risk", "MO000124": "on_track",
    }  # fmt: skip
    assert [r.bill_no for r in board][:2] == ["P20250401", "P20250402"]  # worst first: most working days late
    why = {r.bill_no: r.explain("en") for r in board}
    assert "needs 60/day for 3 working days, makes about 43/day" in why["P20250401"]
    assert "due 04-03: 2 working days late" in why["P20250401"]
    assert "earlier BOM-5200 orders on WC-04 made about 41/day" in why["MO000124"]  # the finished MO000123


def test_the_risk_read_is_a_handful_of_bulk_queries_not_one_per_order(make_risk, dingtalk_sim):
    calls: list = []
    make_risk(calls=calls).board()

    reads = [c for c in calls if c.operation not in ("login", "Login", "ValidateUser", "LoginByAppSecret")]
    assert len(reads) <= 7, [(c.operation, c.form_id) for c in reads]
    assert Counter(c.form_id for c in reads)["PRD_MORPT"] == 1  # every dated report line in one query
    assert Counter(c.form_id for c in reads)["PRD_MO"] == 2  # open orders, recently finished ones


def test_each_worsening_is_announced_once_with_reason_and_top_suggestion(make_risk, dingtalk_sim, audit):
    first, second = make_risk(), make_risk()  # two workers on one database

    announced = first.evaluate()
    assert {t.bill_no: t.after for t in announced} == {"P20250401": "late", "P20250402": "late", "P20250403": "at_risk"}
    assert second.evaluate() == [] and first.evaluate() == []
    make_risk().evaluate()  # a restarted process
    assert warnings(dingtalk_sim) == {"P20250401": 1, "P20250402": 1, "P20250403": 1}

    text = next(t for t in dingtalk_sim.texts(conversation_id=PMC) if "延期预警：P20250401" in t)
    assert "04-08" in text and "04-03" in text and "60" in text  # projected finish, due, the pace it needs
    assert "建议" in text and "WC-05" in text  # the solver's first option: split to the alternate center
    assert "MO000124" not in "".join(dingtalk_sim.texts(conversation_id=PMC))
    assert any('"risk_warning"' in r.payload for r in audit.history("P20250401"))


def test_a_report_asks_the_worker_to_reevaluate_and_a_recovery_is_announced_once(make_risk, reports, dingtalk_sim):
    risk = make_risk()
    assert len(risk.tick()) == 3  # this business slot's evaluation
    assert risk.tick() == []  # same slot, nothing asked: no evaluation
    reports.on_reported.append(risk.after_report)

    assert reports.report("P20250403", 10, 0, "prod0001", "cidPROD0001", message_id="risk-r1").key == "report.recorded"
    other_worker = make_risk()
    back = other_worker.tick()  # started today, it now makes its due date

    assert [(t.bill_no, t.after) for t in back] == [("P20250403", "on_track")]
    assert risk.tick() == [] and make_risk().tick() == []  # the request was taken once
    assert len([t for t in recoveries(dingtalk_sim) if "P20250403" in t]) == 1
    assert warnings(dingtalk_sim)["P20250403"] == 1


def test_the_business_clock_drives_the_schedule_and_worse_levels_warn_again(make_risk, dingtalk_sim):
    tuesday = make_risk(business(1))
    assert {t.bill_no for t in tuesday.tick()} == {"P20250401", "P20250402", "P20250403"}
    assert tuesday.tick() == []  # the same business slot: not evaluated again
    thursday = make_risk(business(3))  # two days on, nothing reported: 04-03 09:00
    later = {t.bill_no: (t.before, t.after) for t in thursday.tick()}

    assert later == {"P20250403": ("at_risk", "late"), "MO000124": ("on_track", "late")}
    assert make_risk(business(3)).tick() == []  # another worker, same slot
    assert warnings(dingtalk_sim) == {"P20250401": 1, "P20250402": 1, "P20250403": 2, "MO000124": 1}


def test_the_daily_digest_goes_out_once_a_business_day_after_its_time(make_risk, dingtalk_sim):
    early = make_risk(business(1, hour=8), risk_digest_time="08:30")
    early.tick()
    assert not [t for t in dingtalk_sim.texts(conversation_id=PMC) if "日报" in t]

    make_risk(business(1, hour=9), risk_digest_time="08:30").tick()
    make_risk(business(1, hour=10), risk_digest_time="08:30").tick()
    digests = [t for t in dingtalk_sim.texts(conversation_id=PMC) if "日报" in t]
    assert len(digests) == 1
    assert "3 个订单需要关注" in digests[0] and "2 个将延期" in digests[0] and "MO000124" not in digests[0]


def test_warnings_can_be_switched_off(make_risk, dingtalk_sim):
    assert make_risk(risk_warnings_enabled=False).tick() == []
    assert dingtalk_sim.texts(conversation_id=PMC) == []


@pytest.mark.parametrize(
    ("text", "number"),
    [("采用方案2", 2), ("用方案 3", 3), ("按第二个方案办", 2), ("pakai opsi 2", 2), ("Take option 1", 1),
     ("P20250402 数量改成 200", None), ("", None)],
)  # fmt: skip
def test_option_numbers_are_read_from_the_message(text, number):
    assert option_number(text) == number


# -- through the chat use cases (what the actions call) ------------------------------------------


@pytest.fixture
def chat(settings, wall, dingtalk_sim):
    wiring = Wiring(settings.copy(update={"risk_warnings_enabled": False}), now=wall)
    yield wiring.chat
    wiring.close()


def turn(staff_id: str, text: str = "", intent: str = "", lang: str = "zh", **entities) -> Turn:
    t = Turn(f"{PMC}:{staff_id}", staff_id, PMC, True, lang, text, f"m-{staff_id}-{text}", intent, 0.99, entities)
    access.current_turn.set(t)
    return t


def test_chat_lists_the_orders_at_risk_in_each_language(chat):
    for lang, words in (("zh", "将延期"), ("id", "akan terlambat"), ("en", "late")):
        text = chat.risk_list(turn("pmc0001", "?", "query_risk", lang=lang)).outcome.text(lang)
        assert all(b in text for b in ("P20250401", "P20250402", "P20250403")) and "MO000124" not in text, text
        assert words in text
    one = chat.risk_order(turn("pmc0001", "P20250402 会不会延期", "query_risk", order_no="P20250402"))
    assert one.outcome.key == "risk.order_late"
    assert "700" in one.outcome.text("zh") and "04-03" in one.outcome.text("zh")
    fine = chat.risk_order(turn("pmc0001", "MO000124 有没有延期风险", "query_risk", order_no="MO000124"))
    assert fine.outcome.key == "risk.order_on_track"
    closed = chat.risk_order(turn("pmc0001", "MO000123 会不会延期", "query_risk", order_no="MO000123"))
    assert closed.outcome.key == "planning.plan_not_open"


def test_taking_an_option_is_a_change_request_written_only_after_yes(chat, k3):
    pmc = turn("pmc0001", "给 P20250402 排产建议", "suggest_reschedule", order_no="P20250402")
    shown = chat.risk_suggest(pmc)
    assert shown.outcome.key == "risk.suggestions" and shown.outcome.values["count"] == 2
    assert "方案2" in shown.outcome.text("zh") and "04-03" in shown.outcome.text("zh")

    missing = chat.accept_option(turn("pmc0001", "采用方案7", "accept_option"))
    assert missing.outcome.key == "risk.accept_no_such_option"

    due_before = k3.get_order("P20250402").plan_finish
    taken = chat.accept_option(turn("pmc0001", "采用方案2", "accept_option"))
    assert (taken.outcome.key, taken.asks_yes_no) == ("workflow.change_checked", True), taken.outcome.text("en")
    assert "04-02" in taken.outcome.text("zh") and "04-03" in taken.outcome.text("zh")  # old -> new
    assert k3.get_order("P20250402").plan_finish == due_before  # nothing written before the yes
    applied = chat.confirm(turn("pmc0001", "确认", "affirm"), taken.pending)
    assert applied.outcome.key == "workflow.change_applied", applied.outcome.text("en")
    assert k3.get_order("P20250402").plan_finish.isoformat() == "2025-04-03"


def test_an_option_must_have_been_shown_here_and_overtime_writes_nothing(chat, k3):
    nothing = chat.accept_option(turn("pmc0001", "采用方案1", "accept_option"))
    assert nothing.outcome.key == "risk.accept_nothing_shown"
    which = chat.accept_option(turn("pmc0001", "就用那个", "accept_option"))
    assert which.outcome.key == "risk.accept_which"
    chat.risk_suggest(turn("pmc0001", "给 P20250402 排产建议", "suggest_reschedule", order_no="P20250402"))
    before = k3.get_order("P20250402")
    overtime = chat.accept_option(turn("pmc0001", "采用方案1", "accept_option"))
    assert overtime.outcome.key == "risk.accept_overtime" and "WC-02" in overtime.outcome.text("zh")
    assert overtime.pending is not None and k3.get_order("P20250402") == before


def test_a_split_option_asks_for_the_reduced_quantity_first_and_says_the_second_step(chat, k3):
    chat.risk_suggest(turn("pmc0001", "suggest a reschedule for P20250401", "suggest_reschedule", lang="en",
                           order_no="P20250401"))  # fmt: skip
    split = chat.accept_option(turn("pmc0001", "take option 1", "accept_option", lang="en"))
    assert (split.outcome.key, split.asks_yes_no) == ("workflow.change_checked", True), split.outcome.text("en")
    text = split.outcome.text("en")
    assert "300" in text and "249" in text and "WC-05" in text and "51" in text, text
    assert k3.get_order("P20250401").qty == 300
