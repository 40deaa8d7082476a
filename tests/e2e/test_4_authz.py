"""Only the right people can change production: LDAP roles from the real slapd, checked in the
action before any K/3 call, through the real channel; a directory outage never opens the door."""

import pytest

from tests.e2e.stack import joined, official_sdk, orders_of

pytestmark = pytest.mark.stack

CREATE_EN = "Create production order BOM-2051 qty 40, finish April 22, standard type, stamping shop"
CREATE_ZH = "创建生产订单 BOM-2051 数量 40，4月22日完工，标准生产订单，冲压车间"


@pytest.mark.parametrize(
    "staff_id,conversation_id,text,expected",
    [
        ("guest0001", None, CREATE_ZH, "没有创建生产订单的权限"),  # in the directory, no groups
        ("stranger0001", None, CREATE_EN, "not in the company directory"),  # not in the directory
        ("prod0001", "cidPROD0001", CREATE_ZH, "没有创建生产订单的权限"),  # production may not create
    ],
)
def test_people_without_the_pmc_role_cannot_create_orders(chat, stack, staff_id, conversation_id, text, expected):
    _, settings = stack
    sdk = official_sdk(settings)
    before = orders_of(sdk, "1.01.2051")
    replies = chat.ask(staff_id, text, conversation_id, expect=1)
    assert expected in joined(replies), joined(replies)
    assert not any(r.buttons for r in replies)  # no summary, nothing to confirm
    assert orders_of(sdk, "1.01.2051") == before


def test_production_staff_may_still_ask_about_orders(chat):
    text = joined(chat.ask("prod0002", "Bagaimana progres P20250403", "cidPROD0001", contains="P20250403"))
    assert "500" in text, text


def test_directory_outage_refuses_writes_and_says_why_for_reads(chat, stack):
    running, settings = stack
    sdk = official_sdk(settings)
    before = orders_of(sdk, "1.01.2051")
    running.stop_service("slapd")
    try:
        # pmc0002 was last checked long ago in this run; the cache TTL in the stack is short
        write = joined(chat.ask("pmc0002", CREATE_EN, "cidPMC0001", contains="permissions cannot be checked"))
        assert "permissions cannot be checked" in write
        read = joined(chat.ask("pmc0001", "P20250401 进度怎么样", "cidPMC0001", contains="无法核验权限"))
        assert "P20250401" not in read  # no data without a permission check
        assert orders_of(sdk, "1.01.2051") == before
    finally:
        running.start_service("slapd")
    text = joined(chat.ask("pmc0001", "P20250401 进度怎么样", "cidPMC0001", contains="P20250401"))
    assert "120" in text
