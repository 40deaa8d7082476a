"""Which field of an order a change request names without a value: "tolong ubah jumlah P20250402 ya"
(the quantity), "P20250403 的完工日期要改一下" (the finish date), "move P20250402 to another work
center" (the work center). The bot then asks for that value only; a bare "2200" answers it.

A closed word list per language, like ``replies`` and ``report_words``: pure and deterministic.
"""

from __future__ import annotations

import re
import unicodedata

FIELD_WORDS = {
    "quantity": re.compile(
        r"数量|数目|件数|产量|多少个|(?<![a-z])(?:jumlah(?:nya)?|jml|qty|quantity|quantities|kuantitas|amount)(?![a-z])",
        re.IGNORECASE,
    ),
    "due_date": re.compile(
        r"完工日期|完工时间|交期|交货期|日期|工期|(?<![a-z])(?:tanggal(?:nya)?|tgl|deadline|due\s*date|finish\s*date|"
        r"date|due)(?![a-z])",
        re.IGNORECASE,
    ),
    "work_center": re.compile(
        r"车间|工作中心|产线|生产线|(?<![a-z])(?:bengkel(?:nya)?|lini|work\s*cent(?:er|re)|workshop|line)(?![a-z])",
        re.IGNORECASE,
    ),
}


def named_field(text: str | None) -> str | None:
    """The one field ``text`` names (quantity / due_date / work_center), or None (none, or several)."""
    if not text:
        return None
    folded = unicodedata.normalize("NFKC", text)
    found = [field for field, words in FIELD_WORDS.items() if words.search(folded)]
    return found[0] if len(found) == 1 else None
