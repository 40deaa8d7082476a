"""Create-order dialogs through the real channel: the form asks only for what is missing, one
question at a time, in the user's language; bad values are re-asked with the reason; cancel
leaves with nothing written."""

import re

import pytest

from tests.e2e.stack import joined, official_sdk, orders_of

pytestmark = pytest.mark.stack


def button_titles(replies) -> list[str]:
    return [b["title"] for r in replies for b in r.buttons]


def test_zh_missing_fields_are_asked_one_at_a_time_with_defaults_offered(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    before = {r[0] for r in orders_of(sdk, "1.02.3100")}
    who, conv = "pmc0002", "cidPMC0001"

    asked = chat.ask(who, "麻烦开个工单，bom3100", conv, contains="多少")
    assert "风扇叶轮" in joined(asked)  # quantity question names the material
    asked = chat.ask(who, "一千二百个", conv, contains="完工")
    asked = chat.ask(who, "下周五", conv, contains="类型")
    titles = button_titles(asked)
    assert titles and "常用" in titles[0] and "标准生产订单" in titles[0], titles  # default offered first
    asked = chat.ask(who, "标准生产订单", conv, contains="车间")
    titles = button_titles(asked)
    assert "注塑车间" in titles[0] and "常用" in titles[0], titles  # the material's usual work center
    summary = chat.ask(who, "注塑车间", conv, contains="BOM-3100_V2")
    text = joined(summary)
    for expected in ("1.02.3100", "1200", "2025-04-11", "WC-02"):  # 下周五: Friday of next week
        assert expected in text, (expected, text)
    done = chat.ask(who, "确认", conv, contains="MO")
    bill = re.findall(r"MO\d{6}", joined(done))[0]
    assert {r[0] for r in orders_of(sdk, "1.02.3100")} - before == {bill}


def test_id_bad_material_is_re_asked_with_the_reason(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    before = orders_of(sdk, "1.01.2099")
    who, conv = "pmc0002", "cidPMC0001"
    refused = chat.ask(who, "Buat pesanan produksi BOM-2099 jumlah 50", conv, expect=2)
    text = joined(refused)
    assert "BOM-2099" in text and "BOM" in text
    assert any("material" in r.text.lower() for r in refused), text  # asked again, in Indonesian
    asked = chat.ask(who, "rumah motor", conv, contains="selesai")
    assert "Kapan" in joined(asked)
    chat.ask(who, "batal", conv, contains="Dibatalkan")
    assert orders_of(sdk, "1.01.2099") == before == []


def test_en_quantity_out_of_range_is_re_asked_and_cancel_mid_form_writes_nothing(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    before = orders_of(sdk, "1.03.4100")
    who, conv = "pmc0001", "cidPMC0001"
    chat.ask(who, "create production order for control board", conv, contains="How many")
    refused = chat.ask(who, "0", conv, expect=2)
    assert "How many" in joined(refused) and len(refused) >= 2, joined(refused)
    chat.ask(who, "cancel", conv, contains="nothing was written")
    assert orders_of(sdk, "1.03.4100") == before
    # the form is really gone: a confirmation now has nothing to confirm
    assert "nothing waiting" in joined(chat.ask(who, "yes", conv, expect=1))


def test_a_confirmation_belongs_to_the_person_who_asked(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    before = orders_of(sdk, "1.01.2051")
    chat.ask("pmc0001", "创建生产订单 BOM-2051 数量 100，4月20日完工，标准生产订单，冲压车间", "cidPMC0001", contains="BOM-2051_V1")
    other = chat.ask("pmc0002", "确认", "cidPMC0001", expect=1)  # someone else in the same group
    assert "没有等待" in joined(other)
    assert orders_of(sdk, "1.01.2051") == before
    chat.ask("pmc0001", "取消", "cidPMC0001", expect=1)
    assert orders_of(sdk, "1.01.2051") == before
