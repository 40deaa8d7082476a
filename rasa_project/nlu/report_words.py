"""Output reports against change requests: "P20250403 selesai 10", "MO000124 done 40" and
"P20250403 good 40" say what was made; "P20250403 改成 500", "jadi 120", "add 50 more" ask for a change.

The intent model reads the bag of words around "__order_no__ __number__": an order number and a
number with a short verb look the same in a report and in a change ("MO000124 done 40" came out as
a change of the quantity to 40). Which of the two it is, is said by the verb, and report verbs and
change verbs are small closed classes in each language. So, like the closed-class replies
(``replies.py``), a message the model calls a change is a report when it has a report word, a
number and no change word, no date and no question. Everything else keeps the model's intent.
Pure and deterministic.
"""

from __future__ import annotations

import re
import unicodedata

from rasa_project.nlu.questions import is_question

# What was made (good / scrap / "done N") in the three languages.
REPORT_WORD = re.compile(
    r"做完|做好|做了|完成了?|完工了?|生产了|产出|出了|入库|合格|良品|不良|报废|废品|次品|坏了"
    r"|(?<![a-z])(?:selesai|beres|kelar|bagus|cacat|rusak|hasil(?:nya)?|dapat|dpt|lolos"
    r"|done|finished|completed|produced|made|built|output|good|passed|ok|scrap(?:ped|s)?|rejects?|rejected"
    r"|defects?|ng)(?![a-z])",
    re.IGNORECASE,
)
# What asks to change the order (a set value, a delta, a date, a move).
CHANGE_WORD = re.compile(
    r"改|调[成到为整]|变更|换[到成]|转到|挪到|推迟|延后|延期|往后|提前|[加减增]到|减少|增加|再加|加上|多做|少做|修正|更正|应该是|应为"
    r"|日期|交期|数量|计划"
    r"|(?<![a-z])(?:di)?(?:ubah|ganti|revisi|ralat|pindah(?:kan)?|mundur(?:kan)?|undur|majukan|maju(?:in)?|naikkan"
    r"|turunkan|kurangi|tambah(?:kan|in)?)(?:nya|in)?(?![a-z])"
    r"|(?<![a-z])(?:jadi|menjadi|jumlah(?:nya)?|tanggal|tgl|kurang"
    r"|change|chnage|modify|amend|edit|bump|increase|decrease|reduce|lower|postpone|delay|reschedule|instead"
    r"|revise|adjust|move|make|set|to|more|less|extra|qty|quantity|date|due|target|plan(?:ned)?)(?![a-z])",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d|[一二两三四五六七八九十百千万]{2,}")
_ORDER = re.compile(r"(?<![a-z0-9])(?:p|mo)[\s\-_]?\d{6,10}(?!\d)", re.IGNORECASE)
_DATE = re.compile(r"\d{1,2}\s*[月/.-]\s*\d{1,2}|\d+\s*[日号]|(?<![a-z])(?:jan|feb|mar|apr|mei|may|jun|jul|agu|aug|sep|okt|oct|nov|des|dec)[a-z]*(?![a-z])",
                   re.IGNORECASE)


def report_not_change(text: str | None, intent: str | None) -> str | None:
    """``report_progress`` when the model read a change but ``text`` reports what was made; else None."""
    if intent != "change_order" or not text:
        return None
    folded = unicodedata.normalize("NFKC", text).casefold()
    rest = _ORDER.sub(" ", folded)
    if not _NUMBER.search(rest) or _DATE.search(rest):
        return None
    if not REPORT_WORD.search(rest) or CHANGE_WORD.search(rest) or is_question(text):
        return None
    return "report_progress"
