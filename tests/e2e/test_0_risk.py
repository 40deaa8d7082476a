"""Delay risk through the real channel (issue 15), on the demo factory as it starts (runs first:
the other files change its orders). The worker warned the PMC group at start, once per order;
people ask in zh / id / en; an output report re-evaluates (P20250403, started, recovers, said
once); a manager takes a solver option, which is a change request: K/3 changes only after "确认"."""

import re
from collections import Counter

import pytest
from sqlalchemy import text as sql

from rasa_project.db import make_engine
from tests.e2e.stack import joined, official_sdk, order_row, wait_until

pytestmark = pytest.mark.stack

PMC, PROD = "cidPMC0001", "cidPROD0001"
WARNED = {"P20250401", "P20250402", "P20250403"}
RISK_WAIT_S = 120.0  # the risk worker runs on its own schedule beside the turns


def warnings(chat) -> Counter:
    found = Counter()
    for r in chat.replies(0, conversation_id=PMC):
        m = re.search(r"延期预警：(\S+?)（", r.text)
        if m:
            found[m.group(1)] += 1
    return found


def recheck_pending(settings) -> bool:
    engine = make_engine(settings.sqlalchemy_url)
    try:
        with engine.connect() as conn:
            return conn.execute(sql("select count(*) from risk_runs where key = 'recheck'")).scalar() > 0
    finally:
        engine.dispose()


def test_the_worker_warned_the_pmc_group_once_per_order_at_start(chat, stack):
    found = wait_until(lambda: set(warnings(chat)) >= WARNED and warnings(chat), "three warnings", RISK_WAIT_S)
    assert set(found) == WARNED and all(n == 1 for n in found.values()), found  # MO000124 is on track
    text = next(r.text for r in chat.replies(0, conversation_id=PMC) if "延期预警：P20250401" in r.text)
    assert "04-08" in text and "04-03" in text and "WC-05" in text, text  # projected, due, the top option


@pytest.mark.parametrize(
    ("lang", "question", "late_word"),
    [("zh", "哪些订单有延期风险", "将延期"), ("id", "pesanan mana yang berisiko terlambat", "akan terlambat"),
     ("en", "which orders are at risk", "late")],
)  # fmt: skip
def test_which_orders_are_at_risk_in_each_language(chat, stack, lang, question, late_word):
    # the first turns of the session: the bot's first replies may take a while on a loaded machine
    text = joined(chat.ask("pmc0001", question, PMC, contains="P20250403", timeout_s=180))
    assert all(b in text for b in WARNED) and late_word in text, text
    assert "MO000124" not in text, text


def test_one_order_answers_with_figures_and_reasons(chat, stack):
    late = joined(chat.ask("pmc0001", "P20250402 会不会延期", PMC, contains="P20250402"))
    assert "将延期" in late and "700" in late and "04-03" in late and "04-02" in late, late
    fine = joined(chat.ask("pmc0002", "is MO000124 on schedule", PMC, contains="MO000124"))
    assert "on track" in fine and "04-07" in fine, fine


def test_an_output_report_reevaluates_and_the_recovery_is_said_once(chat, stack):
    chat.ask("prod0001", "P20250403 完成 10 个", PROD, contains="P20250403")
    chat.ask("prod0001", "确认", PROD, contains="P20250403")  # a report is written only once confirmed (issue 13)

    def recovered():
        return [r for r in chat.replies(0, conversation_id=PMC) if "✅" in r.text and "P20250403" in r.text]

    assert len(wait_until(recovered, "P20250403 recovery", RISK_WAIT_S)) == 1
    assert warnings(chat) == {b: 1 for b in WARNED}  # nobody was warned twice by the re-evaluation


def test_a_manager_takes_a_solver_option_and_k3_changes_only_after_confirm(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    options = joined(chat.ask("manager0001", "给 P20250402 排产建议", PMC, contains="方案2", timeout_s=120))
    assert "方案1" in options and "WC-02" in options and "04-03" in options, options

    asked = chat.ask("manager0001", "采用方案2", PMC, contains="04-03")
    assert any(r.buttons for r in asked), joined(asked)  # Confirm / Cancel: a change request like any other
    assert order_row(sdk, "P20250402")["FPlanFinishDate"].startswith("2025-04-02")  # nothing written yet

    applied = joined(chat.ask("manager0001", "确认", PMC, contains="P20250402"))
    assert "04-03" in applied, applied
    assert order_row(sdk, "P20250402")["FPlanFinishDate"].startswith("2025-04-03")
    # the applied change asked the worker for a re-evaluation; it takes it (and later files start
    # from a factory nobody is still evaluating)
    wait_until(lambda: not recheck_pending(settings), "the worker's re-evaluation after the change", RISK_WAIT_S)
    assert warnings(chat) == {b: 1 for b in WARNED}  # late -> due date moved: better, so nothing to warn


def test_split_suggestion_in_english_names_the_alternate_center(chat, stack):
    text = joined(chat.ask("pmc0001", "suggest a reschedule for P20250401", PMC, contains="WC-05", timeout_s=120))
    assert "Option 1" in text and "51" in text, text
