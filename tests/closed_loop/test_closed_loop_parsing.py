"""Reading a manager's or a reporter's message (pure helpers in rasa_project)."""

from __future__ import annotations

import pytest

from rasa_project.ordering.approval_desk import note_from, ref_in
from rasa_project.ordering.reports import is_correction


@pytest.mark.parametrize(
    ("text", "bill_no", "note"),
    [
        ("驳回 P20250401", "P20250401", ""),  # the card button's chat text: no reason given
        ("tolak P20250402", "P20250402", ""),
        ("P20250401 驳回，数量不合理", "P20250401", "数量不合理"),
        ("reject P20250402, stock too low", "P20250402", "stock too low"),
        ("saya tolak karena stok kurang", None, "karena stok kurang"),
    ],
)
def test_reason_is_what_the_manager_wrote_around_the_decision(text, bill_no, note):
    assert note_from(text, bill_no) == note


def test_change_request_refs_are_normalised():
    assert ref_in("批准 CR-12") == "CR-000012"
    assert ref_in("approve cr000034 please") == "CR-000034"
    assert ref_in("批准 P20250402") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("改一下，刚才是110个", True),
        ("koreksi, tadi 110", True),
        ("correction: actually 110", True),
        ("P20250401 完成 120，报废 4", False),
        ("P20250401 selesai 120", False),
    ],
)
def test_correction_messages_are_recognised(text, expected):
    assert is_correction(text) is expected
