"""Issue 13, classes found by the main set's run of this stop and by the second untuned set
(tests/dialogues/fresh2, docs/DIALOGUES.md "Fresh set 2"), through the real channel, K/3 read back
with the official SDK. The sentences are new ones (neither the dialogues' texts nor training data).

Runs after test_5c on the state it leaves; each test leaves the orders it touches as it found them
or says what it changed.
"""

import pytest

from tests.e2e.stack import official_sdk, order_row
from tests.e2e.test_7c_decisions_lists import PMC, held, say

pytestmark = pytest.mark.stack


# -- 7: the reason is the manager's words, never a fragment of the decision word -------------------
def test_zh_rejection_with_an_adverb_before_the_decision_keeps_only_the_reason(chat, stack):
    """"先不批 下个月…": the 先 belongs to the decision, and "下个月…" is the reason as written."""
    _, settings = stack
    sdk = official_sdk(settings)
    qty = float(order_row(sdk, "MO000124")["FQty"])
    ref = held(chat, "pmc0002", f"MO000124 数量改成 {int(qty) + 60}")
    start = chat.mark()
    decided = say(chat, "manager0001", "MO000124 先不批 下个月板子到了再提", rf"{ref}.*已被.*驳回")
    assert "下个月板子到了再提" in decided, decided
    told = chat.wait_for(start, lambda r: ref in r.text and "原因" in r.text, conversation_id=PMC)[0].text
    reason = told.split("原因")[-1]
    assert "下个月板子到了再提" in reason and "先" not in reason, told
    assert float(order_row(sdk, "MO000124")["FQty"]) == qty  # rejected: K/3 unchanged
