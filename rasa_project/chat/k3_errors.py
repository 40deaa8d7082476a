"""Word a K/3 error for the chat: ``describe(error, lang)`` -> one catalog sentence (zh/id/en).

Names the field in human words ("K/3 says the plan finish date is missing"); never K/3's raw
text, never a stack trace, never a bare "error". The raw details stay on the exception for logs.
"""

from __future__ import annotations

from k3_client.errors import (
    K3AuthFailed,
    K3Error,
    K3NotFound,
    K3PermissionDenied,
    K3QtyBelowReported,
    K3Rejected,
    K3SessionLost,
    K3Unavailable,
    K3UnknownForm,
)
from rasa_project.catalog import text
from rasa_project.values import figure

# K/3 FieldName (lower case) -> catalog key of its human name
FIELD_WORDS = {
    "fbillno": "k3.field.bill_no",
    "fbilltype": "k3.field.bill_type",
    "fbomid": "k3.field.bom",
    "fdate": "k3.field.date",
    "fdocumentstatus": "k3.field.document_status",
    "fquaqty": "k3.field.good_qty",
    "fmaterialid": "k3.field.material",
    "fmobillno": "k3.field.order",
    "fprdorgid": "k3.field.org",
    "fstockinorgid": "k3.field.org",
    "fplanfinishdate": "k3.field.plan_finish",
    "fplanstartdate": "k3.field.plan_start",
    "fqty": "k3.field.qty",
    "ffinishqty": "k3.field.report_qty",
    "fscrapqty": "k3.field.scrap_qty",
    "fstatus": "k3.field.status",
    "funitid": "k3.field.unit",
    "fworkshopid": "k3.field.work_center",
    "fworkshipid": "k3.field.work_center",
    "fworkshipidh": "k3.field.work_center",
}

REASON_KEYS = {
    "missing": "k3.missing_field",
    "invalid_reference": "k3.invalid_reference",
    "no_audited_bom": "k3.no_audited_bom",
    "over_report": "k3.over_report",
    "duplicate": "k3.duplicate",
    "status": "k3.status_not_allowed",
}


def field_words(field: str | None, lang: str) -> str:
    key = FIELD_WORDS.get((field or "").lower(), "k3.field.unknown")
    return text(key, lang)


def describe(error: K3Error, lang: str) -> str:
    """The user sentence for ``error`` in ``lang`` (zh | id | en)."""
    if isinstance(error, K3QtyBelowReported):
        return text("k3.qty_below_reported", lang, qty=figure(error.qty), reported=figure(error.reported))
    if isinstance(error, K3AuthFailed):
        return text("k3.auth_failed", lang)
    if isinstance(error, K3SessionLost):
        return text("k3.session_lost", lang)
    if isinstance(error, K3PermissionDenied):
        return text("k3.permission_denied", lang)
    if isinstance(error, K3Unavailable):
        return text("k3.unavailable", lang)
    if isinstance(error, K3UnknownForm):
        return text("k3.unknown_form", lang, form=error.form_id or "?")
    if isinstance(error, K3NotFound):
        return text("k3.not_found", lang, field=field_words(error.field or "FBillNo", lang))
    if isinstance(error, K3Rejected):
        if error.reason == "status" and not error.field:
            return text("k3.status_not_allowed", lang, field=text("k3.field.document_status", lang))
        key = REASON_KEYS.get(error.reason)
        if key == "k3.no_audited_bom" or key == "k3.over_report":
            return text(key, lang)
        if key:
            return text(key, lang, field=field_words(error.field, lang))
        if error.field:
            return text("k3.rejected", lang, field=field_words(error.field, lang))
    return text("k3.rejected_general", lang)
