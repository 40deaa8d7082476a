"""Undo requests: voiding one's last output report, withdrawing an order nobody has started.

``undo_request(text, order_no)`` reads which undo a message asks for, by closed word lists in
the three languages (the intent model sees "作废刚才的报工" as a cancel, a report or a change
depending on its mood, so the decision is not left to it):

* ``"void"``: an undo word and a report word or a back-reference ("作废刚才的报工", "刚才那条报工
  撤销", "batalkan laporan tadi", "hapus laporan terakhir", "void my last report", "undo that
  report"), and no order named without a report word;
* ``"withdraw"``: an undo word and an order (its number, or 工单 / order / pesanan): "取消工单
  MO000134", "撤回 MO000134", "delete MO000134", "withdraw MO000134", "batalkan order MO000134",
  "tarik MO000134", "MO000134 不要了，删掉"; with no number, an order noun and a back-reference mean the
  order the person just created ("刚才那个工单建错了，帮我取消掉", "order yang barusan tolong dibatalkan",
  "cancel the order I just created"), unless a change is named ("取消刚才的订单修改").

None otherwise: a bare "取消" / "batal" / "cancel" answers what is pending.
"""

from __future__ import annotations

import re
import unicodedata

from rasa_project.nlu.replies import CONFIRM_TAG

UNDO = re.compile(
    r"作废|撤销|撤回|撤掉|撤了|删掉|删除|删了|取消|不算|无效|不要了|退掉"
    r"|(?<![a-z])(?:batal(?:kan|in)?|dibatal(?:kan|in)|hapus(?:kan|in)?|dihapus(?:in)?|urungkan|anulir|tarik(?:kan)?|ditarik|void(?:ed)?|undo|delete|deleted"
    r"|cancel(?:led|ed)?|remove|revoke|retract|withdraw|scrap\s+that|take\s+back)(?![a-z])",
    re.IGNORECASE,
)
REPORT_NOUN = re.compile(
    r"报工|汇报|报的|报了|报数|产量|报错"
    r"|(?<![a-z])(?:laporan(?:nya)?|lapor(?:an)?|report(?:ed|s)?|output)(?![a-z])",
    re.IGNORECASE,
)
BACK_REFERENCE = re.compile(
    r"刚才|刚刚|上次|上一条|上一个|那条|那次"
    r"|刚建|刚开|刚下|刚创建"
    r"|(?<![a-z])(?:tadi|barusan|terakhir|sebelumnya|last|previous|just\s+now|that\s+one"
    r"|just\s+(?:created|made|opened|placed|entered)|baru\s+(?:saja\s+|aja\s+)?(?:dibuat|bikin|buat))(?![a-z])",
    re.IGNORECASE,
)
ORDER_NOUN = re.compile(
    r"工单|订单|生产单|单子"
    r"|(?<![a-z])(?:order|pesanan|perintah|wo|mo)(?![a-z])",
    re.IGNORECASE,
)


# "取消刚才的订单修改" cancels a change request, not the order
CHANGE_NOUN = re.compile(
    r"修改|变更|改动|改成|(?<![a-z])(?:perubahan|ubah|diubah|change[sd]?|changing)(?![a-z])",
    re.IGNORECASE,
)


def undo_request(text: str | None, order_no: str | None = None) -> str | None:
    """"void", "withdraw" or None (see the module docstring)."""
    if not text:
        return None
    folded = unicodedata.normalize("NFKC", text)
    if CONFIRM_TAG.search(folded):  # "取消 #report-7" is that summary's Cancel button, never a new undo
        return None
    if not UNDO.search(folded):
        return None
    if REPORT_NOUN.search(folded):
        return "void"
    if order_no:
        return "withdraw"
    if ORDER_NOUN.search(folded):
        # "刚才那个工单建错了，帮我取消掉" / "order yang barusan tolong dibatalkan": the order just created
        return "withdraw" if BACK_REFERENCE.search(folded) and not CHANGE_NOUN.search(folded) else None
    if BACK_REFERENCE.search(folded):
        return "void"
    return None
