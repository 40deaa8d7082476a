"""Reading a manager's decision written in free language, pure: which decision, and the reason.

"MO000124 这个不批，控制板库存不够"        -> reject, reason "控制板库存不够"
"MO000124 的变更驳回"                    -> reject, no reason (never the fragment "的变更")
"ok setuju MO000124, stok kontrol nanti ditambah" -> approve, remark "stok kontrol nanti ditambah"
"P20250401 rejected, quantity makes no sense"     -> reject, reason "quantity makes no sense"

A message is cut into clauses at punctuation. A clause holding a decision phrase ("不批", "驳回",
"setuju", "tolak", "approve", "not approved" ...) is the decision; what is left of it once the
phrase, the order number / request ref and filler words ("这个", "的变更", "saya", "this
change" ...) are gone is kept only if it says something. Every other clause is the manager's own
words and is kept as written. Refusals are looked for before approvals: "不同意" holds "同意".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

APPROVE, REJECT = "approve", "reject"

_LATIN_EDGE_L, _LATIN_EDGE_R = r"(?<![a-z])", r"(?![a-z])"

_REJECT = re.compile(
    r"不予批准|不批准|不能批|不可以批|不给批|别批|不批|不准|不同意|不能通过|不通过|审批不通过|驳回|拒绝|拒了|否决|退回|打回"
    rf"|{_LATIN_EDGE_L}(?:(?:tidak|tak|gak|ga|nggak|enggak|jangan|belum)\s+(?:bisa\s+)?(?:saya\s+)?(?:di-?)?"
    rf"(?:setuju|setujui|acc|approve)|di-?tolak|menolak|tolak)(?:nya|lah)?{_LATIN_EDGE_R}"
    rf"|{_LATIN_EDGE_L}(?:(?:do\s+not|don'?t|not|won'?t|will\s+not|can'?t|cannot|never)\s+(?:\w+\s+){{0,2}}"
    rf"approv\w*|reject(?:ed|ing)?|declin(?:e|ed|ing)|refuse[ds]?|deny|denied|turn(?:ed)?\s+down)(?![a-z])"
    # a bare "no" standing as its own clause: "MO000124 no, we can't spare the boards right now"
    rf"|{_LATIN_EDGE_L}(?<!')(?:no|nope)(?=\s*(?:[,，.;；!！—-]|$))",
    re.IGNORECASE,
)
_APPROVE = re.compile(
    r"批准|同意|准了|批了|可以批|能批|核准|审批通过|通过审批|通过"
    rf"|{_LATIN_EDGE_L}(?:di-?)?(?:setuju|setujui|izinkan|acc)(?:i|lah)?{_LATIN_EDGE_R}"
    rf"|{_LATIN_EDGE_L}(?:approv(?:e|ed|ing)|aprove|lgtm|sign(?:ed)?\s+off|green\s+light|ok\s+to\s+approve"
    rf"|go\s+ahead|good\s+to\s+go|ok(?:ay)?\s+to\s+proceed|proceed|lanjutkan|silakan\s+lanjut){_LATIN_EDGE_R}",
    re.IGNORECASE,
)
# asking about a decision is not deciding: "MO000124 批了吗", "sudah disetujui belum?", "is it approved?"
_QUESTION = re.compile(
    r"[吗呢][?？]?\s*$|[?？]|没有\s*$|了没|批没批|有没有"
    rf"|{_LATIN_EDGE_L}(?:apakah|sudah\s+\w+\s+belum|belum\s*$|kah){_LATIN_EDGE_R}"
    rf"|^\s*(?:is|was|has|have|did|does|will|can|could|why|when|who)\s",
    re.IGNORECASE,
)

_CLAUSE_SPLIT = re.compile(r"[,，。;；!！、\n]+|\s+[-—]+\s+")
_ORDER_NO = re.compile(r"(?<![A-Za-z0-9])(?:P\d{8}|MO\d{6})(?![0-9])", re.IGNORECASE)
_REF = re.compile(r"\bCR-?\d{1,6}\b", re.IGNORECASE)

# words that, left alone around a decision phrase, say nothing of a reason
_CJK_FILLER = sorted(
    ["这个", "这张", "这单", "这笔", "那个", "工单", "订单", "单子", "的变更", "变更", "的修改", "修改", "的申请", "申请",
     "的", "我", "了", "吧", "先", "就", "还是", "审批", "请求", "这次", "这", "个", "啊", "呀", "哦", "嗯", "好", "好的",
     "可以", "行", "不行", "算了", "暂时", "暂且", "暂不", "目前", "现在", "还", "先暂时", "这边", "对", "是", "我看", "我觉得", "经理", "意见", "结果", "给", "请", "帮我", "一下", "下",
     "吧。"],
    key=len, reverse=True,
)
_FILLER_WORDS = (
    "ok oke okay okey yes ya iya yup sure fine alright i we it this that the a an change changes request requests "
    "order orders qty quantity for of to please pls is am are be been was it's its going from me my "
    "saya aku kami ini itu perubahan permintaan order pesanan saja aja deh ya dong sih kok lah untuk yang "
    "sudah udah bisa boleh the mo no nope nah tidak gak ga nggak enggak not with on said"
)
_LATIN_FILLER = frozenset(_FILLER_WORDS.split(" "))
_LATIN_WORD = re.compile(r"[a-z']+", re.IGNORECASE)
_EDGE = " \t\r\n,.;:!?，。；：！？、-—~～…'\"“”‘’()（）[]【】"


@dataclass(frozen=True)
class ReadDecision:
    decision: str | None  # approve | reject | None (no decision phrase)
    note: str  # the manager's own words ("" when none)


def decision_in(text: str | None) -> str | None:
    """approve / reject when the message states a decision (and does not ask about one), else None."""
    text = text or ""
    if not text.strip() or _QUESTION.search(text):
        return None
    if _REJECT.search(text):
        return REJECT
    if _APPROVE.search(text):
        return APPROVE
    return None


def read_decision(text: str | None, bill_no: str | None = None) -> ReadDecision:
    """The decision and the reason or remark around it, as the manager wrote it."""
    return ReadDecision(decision_in(text), note_from(text, bill_no))


def _says_nothing(rest: str) -> bool:
    rest = rest.strip(_EDGE)
    if not rest:
        return True
    words = [w.lower() for w in _LATIN_WORD.findall(rest)]
    if any(w not in _LATIN_FILLER for w in words):
        return False
    cjk = _LATIN_WORD.sub(" ", rest)
    changed = True
    while changed:
        changed = False
        cjk = cjk.strip(_EDGE)
        for word in _CJK_FILLER:
            if cjk.startswith(word):
                cjk, changed = cjk[len(word):], True
                break
            if cjk.endswith(word):
                cjk, changed = cjk[: -len(word)], True
                break
    cjk = re.sub(r"[\s#\d]+", "", cjk.strip(_EDGE))
    return len(cjk) < 2


def note_from(text: str | None, bill_no: str | None = None) -> str:
    """The manager's own words around a decision; "" for a bare decision ("驳回 P20250401",
    "MO000124 的变更驳回", "I reject this change").

    The decision phrase (the first refusal, else the first approval, as ``decision_in`` reads it) is a
    boundary like a comma: what stands before it and what follows it in its clause are judged apart,
    so "先不批 这个月控制板紧张" keeps "这个月控制板紧张" and never the fragment "先 这个月控制板紧张".
    Every other clause is kept as written."""
    text = _REF.sub(" ", text or "")
    text = _ORDER_NO.sub(" ", text)
    if bill_no:
        text = re.sub(re.escape(bill_no), " ", text, flags=re.IGNORECASE)
    phrase = _REJECT if _REJECT.search(text) else _APPROVE
    kept: list[str] = []
    decided = False
    for clause in _CLAUSE_SPLIT.split(text):
        found = None if decided else phrase.search(clause)
        if found is None:
            if not _says_nothing(_APPROVE.sub(" ", _REJECT.sub(" ", clause))):
                kept.append(_trim(clause))  # "质检没通过" stays whole: not the decision
            continue
        decided = True
        for piece in (clause[: found.start()], clause[found.end():]):
            rest = _APPROVE.sub(" ", _REJECT.sub(" ", piece))
            if not _says_nothing(rest):
                kept.append(_trim(rest))
    separator = "，" if any(_CJK.search(k[-1:]) for k in kept[:-1]) else ", "
    note = separator.join(k for k in kept if k)
    return note if len(note) >= 2 else ""


_CJK = re.compile(r"[\u3400-\u9fff]")


def _trim(piece: str) -> str:
    """A clause without the filler words at its edges ("这个控制板库存不够" keeps its reason, "这个月..."
    keeps its "这个": a time word, not a filler)."""
    piece = re.sub(r"\s{2,}", " ", piece).strip(_EDGE)
    changed = True
    while changed:
        changed = False
        low = piece.lower()
        for word in _LEADING_FILLER:
            if word == "这个" and _TIME_AFTER_THIS.match(low, len(word)):
                continue
            if low.startswith(word) and (not word.isascii() or len(low) == len(word) or not low[len(word)].isalpha()):
                piece, changed = piece[len(word):].strip(_EDGE), True
                break
        if not changed and len(piece) > 1 and piece[0] in _PARTICLES and (piece[1].isspace() or piece[1] in _EDGE):
            piece, changed = piece[1:].strip(_EDGE), True  # "驳回吧 下周再提": the 吧 is the decision's
    return piece


_PARTICLES = "吧了啊呀哦嘛"
_TIME_AFTER_THIS = re.compile(r"月|星期|礼拜|周|季度|年|时候|阶段|班")

# fillers dropped at the start of a kept piece: "saya setuju, ..." leaves "saya" behind otherwise
_LEADING_FILLER = sorted(["这个", "我", "ok", "oke", "okay", "saya", "i", "yes", "ya", "the change", "this"],
                         key=len, reverse=True)
