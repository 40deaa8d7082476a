"""Everything k3_client raises derives from ``K3Error``.

K/3 answers business failures with HTTP 200 and ``IsSuccess: false``; ``error_from_status``
is the ONE place that turns such an answer into a typed error, and ``K3Client`` turns httpx
errors into ``K3Unavailable`` at its transport boundary. Errors carry data (field, MsgCode,
a coarse ``reason``), never user sentences: ``rasa_project.chat.k3_errors.describe`` words them.
"""

from __future__ import annotations

# MsgCode values (spec §3)
MSG_OK = 0
MSG_SESSION_LOST = 1
MSG_NO_PERMISSION = 2
MSG_FORM_ID_EMPTY = 5
MSG_PARAMETER = 8
MSG_NOT_EXIST = 9
MSG_NOT_FOUND = 10
MSG_VALIDATION = 11
MSG_NOT_OPERABLE = 12

SESSION_LOST_TEXT = "会话信息已丢失"


class K3Error(Exception):
    """Base for everything k3_client raises."""


class K3Unavailable(K3Error):
    """Transport failure, timeout or HTTP 5xx: a write may still have landed."""

    def __init__(self, detail: str = "", *, status: int | None = None) -> None:
        super().__init__(detail or "K/3 unavailable")
        self.detail, self.status = detail, status


class K3SessionLost(K3Error):
    """MsgCode 1 that survived one re-login and replay."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message or "session lost")
        self.message = message


class K3AuthFailed(K3SessionLost):
    """The login itself (ValidateUser / LoginByAppSecret / signed headers) was refused."""


class K3PermissionDenied(K3Error):
    """MsgCode 2: the K/3 user may not run this operation."""

    def __init__(self, message: str = "", *, operation: str = "", form_id: str = "") -> None:
        super().__init__(message or "permission denied")
        self.message, self.operation, self.form_id = message, operation, form_id


class K3Rejected(K3Error):
    """K/3 answered IsSuccess = false for a business reason.

    ``field`` is K/3's FieldName (may be None); ``reason`` is a coarse classification used to
    pick a user sentence: missing | invalid_reference | no_audited_bom | over_report |
    qty_below_reported | status | duplicate | not_found | other.
    """

    def __init__(
        self,
        field: str | None,
        message: str,
        msg_code: int = MSG_VALIDATION,
        *,
        reason: str = "other",
        form_id: str = "",
        errors: tuple = (),
    ) -> None:
        super().__init__(f"{field or '?'}: {message} (MsgCode {msg_code})")
        self.field, self.message, self.msg_code = field, message, msg_code
        self.reason, self.form_id, self.errors = reason, form_id, errors


class K3UnknownForm(K3Rejected):
    """The FormId does not exist in this K/3 (metadata)."""


class K3NotFound(K3Rejected):
    """The bill/number asked for does not exist (MsgCode 10, or a View that found nothing)."""


class K3QtyBelowReported(K3Rejected):
    """A change would set the order quantity below what has already been reported."""

    def __init__(self, qty: float, reported: float, *, form_id: str = "PRD_MO") -> None:
        super().__init__(
            "FQty", f"qty {qty} < reported {reported}", MSG_VALIDATION, reason="qty_below_reported", form_id=form_id
        )
        self.qty, self.reported = qty, reported


def _classify(field: str | None, message: str, msg_code: int) -> str:
    """A coarse reason from K/3's wording (Chinese, as the server sends it)."""
    text = message or ""
    if "必填" in text or "不能为空" in text:
        return "missing"
    if "BOM" in text.upper() and ("没有" in text or "无" in text) and "审核" in text:
        return "no_audited_bom"
    if "超" in text and ("汇报" in text or "数量" in text):
        return "over_report"
    if "唯一" in text or "已经被使用" in text:
        return "duplicate"
    if msg_code == MSG_NOT_FOUND:
        return "not_found"
    if msg_code == MSG_NOT_EXIST or "不存在" in text or "禁用" in text or _unaudited_reference(text):
        return "invalid_reference"
    # the document itself is not in a state that allows the operation ("生产订单…未审核，不能执行…",
    # "…业务状态为…", "分录已下达或存在下游汇报单，不允许删除")
    if "状态" in text or "审核" in text or "已下达" in text or "下游" in text or msg_code == MSG_NOT_OPERABLE:
        return "status"
    return "other"


def _unaudited_reference(text: str) -> bool:
    """A referenced value that is not audited ("字段“物料编码”的值“1.01.2099”未审核，不能引用"), as opposed
    to the document being operated on not being audited, which is a status refusal."""
    return "未审核" in text and ("引用" in text or "的值" in text)


def error_from_status(status: dict, *, form_id: str = "", operation: str = "") -> K3Error:
    """The typed error for a failed ResponseStatus (``IsSuccess`` false)."""
    errors = tuple(status.get("Errors") or ())
    first = errors[0] if errors else {}
    message = str(first.get("Message") or "")
    field = first.get("FieldName") or None
    try:
        msg_code = int(status.get("MsgCode") or 0)
    except (TypeError, ValueError):
        msg_code = 0
    if msg_code == MSG_SESSION_LOST or SESSION_LOST_TEXT in message:
        return K3SessionLost(message)
    if msg_code == MSG_NO_PERMISSION:
        return K3PermissionDenied(message, operation=operation, form_id=form_id)
    if msg_code in (MSG_FORM_ID_EMPTY, MSG_NOT_EXIST) and "业务对象" in message:
        return K3UnknownForm(field, message, msg_code, reason="unknown_form", form_id=form_id, errors=errors)
    reason = _classify(field, message, msg_code)
    cls = K3NotFound if reason == "not_found" else K3Rejected
    return cls(field, message, msg_code, reason=reason, form_id=form_id, errors=errors)
