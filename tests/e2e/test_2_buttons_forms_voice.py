"""Issue 13 B through the real channel: every form button in every language is pressed (an
action-card button makes the DingTalk client send its text as the person's message), an empty
request asks one question and nothing else, a status question in the middle of a form is
answered and the form asks again, "stop / not now" ends the form, the reply keeps the
conversation's language, and a voice message is a message."""

import json
import re
import time
from pathlib import Path

import pytest
import yaml

from rasa_project import catalog
from rasa_project.nlu.language import detect
from tests.e2e.stack import joined, official_sdk, order_row

pytestmark = pytest.mark.stack

WHO = {"zh": "pmc0001", "id": "pmc0002", "en": "manager0001"}  # all three may create orders
CONV = "cidPMC0001"
# Everything but the type and the work center, so the form asks for both with buttons.
START = {
    "zh": "创建生产订单 BOM-2050 数量 120，4月20日完工",
    "id": "Buat pesanan produksi BOM-2050 jumlah 120, selesai tanggal 20 April",
    "en": "Create production order BOM-2050 qty 120, finish April 20",
}
TYPES = ("SCDD01_SYS", "SCDD03_SYS")  # the default first
TYPE_NAMES = {t["bill_type"]: t["name"] for t in yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "data/mapping/production_types.yml").read_text(encoding="utf-8"))["production_types"]}
CENTERS = 5


def buttons(replies) -> list[dict]:
    return [b for r in replies for b in r.buttons]


def press(chat, who, button, **ask):
    """What the DingTalk client does when an action-card button is tapped: it sends the text."""
    assert button.get("content"), button
    return chat.ask(who, button["content"], CONV, **ask)


@pytest.mark.parametrize("lang", ["zh", "id", "en"])
def test_every_type_work_center_confirm_and_cancel_button_is_understood(chat, stack, lang):
    _, settings = stack
    sdk = official_sdk(settings)
    who = WHO[lang]
    ask_type, ask_center = catalog.text("ask.production_type", lang), catalog.text("ask.work_center", lang)
    for run in range(CENTERS):
        asked = chat.ask(who, START[lang], CONV, contains=ask_type)
        type_buttons = buttons(asked)
        assert len(type_buttons) == len(TYPES), joined(asked)
        for b in type_buttons:  # named for people, never the K/3 code
            assert "SCDD" not in b["title"] and "SCDD" not in b["content"], b
        asked = press(chat, who, type_buttons[run % len(TYPES)], contains=ask_center)
        assert ask_type not in joined(asked), joined(asked)  # taken, not asked again
        center_buttons = buttons(asked)
        assert len(center_buttons) == CENTERS, joined(asked)
        pressed = center_buttons[run]
        summary = press(chat, who, pressed, contains="BOM-2050_V1")
        text = joined(summary)
        chosen = TYPES[run % len(TYPES)]
        assert TYPE_NAMES[chosen][lang] in text and "SCDD" not in text, text  # by its name, never the K/3 code
        numbers = re.findall(r"WC-0\d", text)
        assert len(set(numbers)) == 1, text
        yes, no = buttons(summary)[:2]
        # each button sends its word and the tag of the summary it belongs to ("确认 #draft-7"): issue 13 item 4
        assert (yes["content"].split(" #")[0], no["content"].split(" #")[0]) == (
            catalog.text("button.confirm", lang), catalog.text("button.cancel", lang))
        assert yes["content"].split(" #")[1] == no["content"].split(" #")[1]
        if run == 0:
            done = press(chat, who, yes, contains="MO")
            bill = re.findall(r"MO\d{6}", joined(done))[0]
            row = order_row(sdk, bill)
            assert row["FWorkShopID.FNumber"] == numbers[0] and float(row["FQty"]) == 120, row
            [[bill_type]] = json.loads(sdk.ExecuteBillQuery({"FormId": "PRD_MO", "FieldKeys": "FBillType.FNumber",
                                                            "FilterString": f"FBillNo='{bill}'"}))
            assert bill_type == chosen  # the type pressed is the type K/3 has
        else:
            cancelled = press(chat, who, no, contains=catalog.text("workflow.draft_cancelled", lang))
            assert len(cancelled) == 1, joined(cancelled)
    # nothing is left waiting after the last cancel
    assert catalog.text("dialog.nothing_pending", lang) in joined(chat.ask(who, catalog.text("button.confirm", lang), CONV))


NATURAL = {  # typed answers, not buttons: natural forms of the names
    "zh": ("标准的", "stamping line", "WC-01"),
    "id": ("yang standar aja", "lini stamping", "WC-01"),
    "en": ("the standard one", "Final assembly line 1", "WC-04"),
}


@pytest.mark.parametrize("lang", ["zh", "id", "en"])
def test_types_and_work_centers_in_natural_forms(chat, lang):
    who = WHO[lang]
    chat.ask(who, START[lang], CONV, contains=catalog.text("ask.production_type", lang))
    kind, center, number = NATURAL[lang]
    asked = chat.ask(who, kind, CONV, contains=catalog.text("ask.work_center", lang))
    assert "SCDD" not in joined(asked)
    summary = chat.ask(who, center, CONV, contains="BOM-2050_V1")
    # the type by its name (in the summary's language: "stamping line" may switch it), never the K/3 code
    assert re.search(r"标准生产订单|standar", joined(summary)) and "SCDD" not in joined(summary), joined(summary)
    assert number in joined(summary), joined(summary)
    chat.ask(who, catalog.text("button.cancel", lang), CONV, contains=catalog.text("workflow.draft_cancelled", lang))


def test_an_unknown_type_is_answered_with_names_to_choose_from(chat):
    who = WHO["zh"]
    chat.ask(who, START["zh"], CONV, contains=catalog.text("ask.production_type", "zh"))
    refused = chat.ask(who, "返工", CONV, contains="返工")
    text = joined(refused)
    assert "标准生产订单" in text and "直接入库生产订单" in text and "SCDD" not in text, text
    chat.ask(who, "取消", CONV, contains=catalog.text("dialog.cancelled", "zh"))


EMPTY = {  # an empty request; a stop phrase; a confirmation word
    "zh": ("开个工单", "先别改，等我问下车间", "确认"),
    "id": ("mau bikin order produksi nih", "nanti dulu", "ya"),
    "en": ("new production order", "never mind", "yes"),
}


@pytest.mark.parametrize("lang", ["zh", "id", "en"])
def test_an_empty_request_asks_one_question_and_stop_ends_the_form(chat, lang):
    who = WHO[lang]
    start, stop, yes = EMPTY[lang]
    asked = chat.ask(who, start, CONV, contains=catalog.text("ask.material", lang))
    assert [r.text for r in asked] == [catalog.text("ask.material", lang)]  # one question, nothing else
    asked = chat.ask(who, "BOM-2050", CONV, expect=1)
    assert len(asked) == 1 and "120" not in asked[0].text, joined(asked)  # the quantity question only
    ended = chat.ask(who, stop, CONV, contains=catalog.text("dialog.cancelled", lang))
    assert len(ended) == 1, joined(ended)
    assert catalog.text("dialog.nothing_pending", lang) in joined(chat.ask(who, yes, CONV))


STATUS = {  # a form that asks for the quantity; a status question; the quantity; a stop
    "zh": ("开个工单 BOM-2050", "要生产多少", "P20250401 进度怎么样?", "100", "算了"),
    "id": ("Buat pesanan produksi BOM-2050", "Berapa", "P20250401 sudah sampai mana?", "100", "gak jadi"),
    "en": ("create production order BOM-2050", "How many", "how far is P20250401?", "100", "stop"),
}


@pytest.mark.parametrize("lang", ["zh", "id", "en"])
def test_a_status_question_during_the_form_is_answered_and_the_form_resumes(chat, lang):
    who = WHO[lang]
    start, ask_qty, question, qty, stop = STATUS[lang]
    chat.ask(who, start, CONV, contains=ask_qty)
    answered = chat.ask(who, question, CONV, expect=2)
    text = joined(answered)
    assert "P20250401" in text and "BOM-2050" not in answered[0].text, text  # the status is answered ...
    assert ask_qty in answered[-1].text, text  # ... and the form asks its question again
    chat.ask(who, qty, CONV, contains=catalog.text("ask.due_date", lang))  # it goes on where it was
    ended = chat.ask(who, stop, CONV, contains=catalog.text("dialog.cancelled", lang))
    assert len(ended) == 1, joined(ended)


def test_a_long_message_is_read_by_the_request_at_its_end(chat):
    who = WHO["zh"]
    answered = chat.ask(who, "昨天说要开个工单，先不急，P20250401 进度怎么样？", CONV, expect=1)
    text = joined(answered)
    assert "P20250401" in text and catalog.text("ask.material", "zh") not in text, text
    assert catalog.text("dialog.nothing_pending", "zh") in joined(chat.ask(who, "取消", CONV))


def test_replies_keep_the_conversations_language_without_a_signal(chat):
    who = WHO["id"]
    chat.ask(who, "Buat pesanan produksi BOM-2050", CONV, contains="Berapa")
    asked = chat.ask(who, "300", CONV, expect=1)  # a number: still Indonesian
    assert joined(asked) == catalog.text("ask.due_date", "id"), joined(asked)
    emoji = chat.ask(who, "👍", CONV, expect=1)  # an emoji: still Indonesian
    assert all(detect(r.text) == "id" for r in emoji), joined(emoji)
    ended = chat.ask(who, "batal", CONV, expect=1)
    assert all(detect(r.text) == "id" for r in ended), joined(ended)
    answered = chat.ask(who, "cek progress order P20250401 dong", CONV, expect=1)  # loan words: still Indonesian
    assert "Pesanan produksi P20250401" in joined(answered), joined(answered)


VOICE = {  # the recognized text of a DingTalk voice message
    "zh": ("P二零二五零四零一进度怎么样", "生产订单 P20250401"),
    "id": ("progres P 2025 0401 bagaimana", "Pesanan produksi P20250401"),
    "en": ("status of MO 000 124", "Production order MO000124"),
}


@pytest.mark.parametrize("lang", ["zh", "id", "en"])
def test_a_voice_message_is_handled_like_text(chat, lang):
    who = WHO[lang]
    spoken, expected = VOICE[lang]
    start = chat.mark()
    chat.send(who, spoken, CONV, msgtype="audio")
    deadline = time.monotonic() + 60
    answered = []
    while time.monotonic() < deadline and expected not in joined(answered):
        time.sleep(0.2)
        answered = chat.replies(start, conversation_id=CONV)
    assert expected in joined(answered), joined(answered)


def test_the_reject_button_of_an_approval_card_is_understood(chat, stack):
    """The managers' approval card (an action card) offers Approve / Reject; pressing Reject sends
    its text, which names the order, and the request is rejected: K/3 unchanged."""
    _, settings = stack
    sdk = official_sdk(settings)
    before = float(order_row(sdk, "MO000124")["FQty"])
    start = chat.mark()
    held = joined(chat.ask("pmc0002", "MO000124 数量改成 1500", CONV, contains="MO000124"))
    ref = re.search(r"CR-\d{6}", held)
    assert ref, held
    deadline = time.monotonic() + 60
    card = None
    while time.monotonic() < deadline and card is None:
        card = next((r for r in chat.replies(start, staff_id="manager0001")
                     if r.buttons and ref.group(0) in r.text + json.dumps(r.buttons, ensure_ascii=False)), None)
        time.sleep(0.2)
    assert card is not None, "the manager got an approval card with buttons"
    reject = card.buttons[-1]
    assert reject.get("content") and "MO000124" in reject["content"], card.buttons
    in_group = card.conversation_id if card.conversation_id in ("cidPMC0001", "cidPROD0001") else None
    start = chat.mark()
    chat.send("manager0001", reject["content"], in_group)
    deadline = time.monotonic() + 60
    told = ""
    while time.monotonic() < deadline and not re.search(rf"{ref.group(0)}.*(驳回|ditolak|rejected)", told):
        time.sleep(0.2)
        told = joined(chat.replies(start))
    assert re.search(rf"{ref.group(0)}.*(驳回|ditolak|rejected)", told), told
    assert float(order_row(sdk, "MO000124")["FQty"]) == before  # rejected: K/3 unchanged
