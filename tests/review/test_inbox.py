"""The inbox's reasons, deduplication and order, over audit records as the action server writes them."""

import json
from datetime import datetime, timedelta
from types import SimpleNamespace

from rasa_project.review.inbox import (
    build_inbox,
    heard_from_records,
    is_correction,
    is_flag,
    normalize,
    reasons_of,
    select,
)

T0 = datetime(2025, 4, 1, 1, 0)


class Trail:
    """Records in the shape of rasa_project.audit.models.AuditRecord."""

    def __init__(self):
        self.rows = []

    def _add(self, kind, actor, conv, **payload):
        self.rows.append(SimpleNamespace(id=len(self.rows) + 1, kind=kind, actor=actor, conversation_id=conv,
                                         created_at=T0 + timedelta(minutes=len(self.rows)),
                                         payload=json.dumps(payload, ensure_ascii=False)))

    def said(self, who, text, intent, confidence=0.95, *keys, conv="cidPMC0001", lang="zh"):
        message_id = f"m{len(self.rows) + 1}"
        self._add("nlu", who, conv, message_id=message_id, text=text, intent=intent, confidence=confidence,
                  language=lang, entities={}, action="action_x")
        for key in keys:
            self._add("reply", "bot", conv, to=who, in_reply_to=message_id, key=key, text="...")
        return message_id


def inbox(trail, min_confidence=0.6):
    return build_inbox(heard_from_records(trail.rows), min_confidence=min_confidence)


def test_flags_and_corrections_are_told_apart():
    assert is_flag("👎") and is_flag("不对") and is_flag("salah") and is_flag("Wrong!")
    assert not is_flag("不对，我是说 MO000124 改成 500")
    assert is_correction("不对，我是说 MO000124 改成 500") and is_correction("bukan, maksud saya P20250402")
    assert is_correction("no, I meant P20250402") and not is_correction("不对")
    assert not is_correction("P20250401 进度怎么样")


def test_each_reason_is_found():
    t = Trail()
    t.said("pmc0001", "今天食堂吃什么", "out_of_scope", 0.9, "dialog.out_of_scope")
    t.said("pmc0001", "P20250401 搞一下", "query_order", 0.41, "order.status_line")
    t.said("pmc0001", "MO000124 多少了", "query_stock", 0.9, "stock.line")
    t.said("pmc0001", "👎", "out_of_scope", 0.3, "dialog.out_of_scope")  # flags the one before
    t.said("pmc0002", "开个工单", "create_order", 0.9, "ask.material", conv="cidPMC0002")
    t.said("pmc0002", "那个蓝色的", "inform", 0.8, "ask.material", conv="cidPMC0002")  # re-asked
    t.said("pmc0002", "算了", "cancel", 0.99, "dialog.cancelled", conv="cidPMC0002")  # cancels after it
    t.said("prod0001", "baling2 库存", "query_stock", 0.9, "stock.unknown_material", conv="cidPROD0001")
    t.said("prod0001", "P20250401 改成 500", "change_order", 0.9, "workflow.change_checked", conv="cidPROD0001")
    t.said("prod0001", "不对，我是说 P20250402", "change_order", 0.9, conv="cidPROD0001")
    by_text = {i.text: i.reasons for i in inbox(t)}
    assert by_text == {
        "今天食堂吃什么": ["fallback"],
        "P20250401 搞一下": ["low_confidence"],
        "MO000124 多少了": ["flagged"],
        "那个蓝色的": ["reasked", "cancelled"],
        "baling2 库存": ["unknown_word"],
        "P20250401 改成 500": ["corrected"],
    }
    assert "👎" not in by_text and "算了" not in by_text and "开个工单" not in by_text


def test_deduplicated_by_normalized_text_counted_newest_first_and_filtered():
    t = Trail()
    t.said("pmc0001", "今天食堂吃什么？", "out_of_scope", 0.9, "dialog.out_of_scope")
    t.said("pmc0002", "apa kabar pabrik", "out_of_scope", 0.9, "dialog.out_of_scope", conv="cidX", lang="id")
    t.said("prod0001", "今天食堂吃什么", "nlu_fallback", 0.2, "dialog.out_of_scope", conv="cidY")
    items = inbox(t)
    assert [i.text for i in items] == ["今天食堂吃什么", "apa kabar pabrik"]
    first = items[0]
    assert first.count == 2 and sorted(first.speakers) == ["pmc0001", "prod0001"]
    assert first.normalized == normalize("今天食堂吃什么？") and first.confidence == 0.2
    assert [i.text for i in select(items, language="id")] == ["apa kabar pabrik"]
    assert select(items, reason="flagged") == []
    assert "speakers" not in first.as_dict() and first.as_dict()["people"] == 2


def test_several_actions_for_one_message_count_once_and_confident_turns_stay_out():
    t = Trail()
    mid = t.said("pmc0001", "P20250401 进度怎么样", "query_order", 0.99, "order.status_line")
    t._add("nlu", "pmc0001", "cidPMC0001", message_id=mid, text="P20250401 进度怎么样", intent="query_order",
           confidence=0.99, language="zh", entities={}, action="action_other")
    heard = heard_from_records(t.rows)
    assert len(heard) == 1 and heard[0].reply_keys == ["order.status_line"]
    assert reasons_of(heard, 0.6) == {} and inbox(t) == []
