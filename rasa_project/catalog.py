"""Every user-visible sentence, keyed, with Chinese, Indonesian and English side by side.

No literal user text lives anywhere else. ``text(key, lang, **values)`` fills ``{placeholders}``;
a test checks that every key has all three languages and the same placeholders in each.

Sections are owned by domain (add keys inside your section, keep them sorted by key).
"""

from __future__ import annotations

import string

LANGS = ("zh", "id", "en")

MESSAGES: dict[str, dict[str, str]] = {
    # --- general / dialog ---------------------------------------------------------------
    "general.internal_error": {
        "zh": "抱歉，处理时出了问题，已记录。请稍后再试，或联系管理员。",
        "id": "Maaf, terjadi masalah saat memproses. Sudah dicatat; coba lagi nanti atau hubungi admin.",
        "en": "Sorry, something went wrong while handling that. It has been logged; please try again later.",
    },
    # --- k3 (K/3 Cloud errors and results) -----------------------------------------------
    # --- dingtalk (channel) ----------------------------------------------------------------
    # --- authz (LDAP roles) -------------------------------------------------------------
    # --- audit ----------------------------------------------------------------------------
    # --- workflow (create, change, risk checks) -----------------------------------------
    # --- approval (closed loop) --------------------------------------------------------------
    # --- report (shop-floor output) ----------------------------------------------------------
    # --- nlu / help ---------------------------------------------------------------------------
}


class MissingMessage(KeyError):
    pass


def text(key: str, lang: str, **values) -> str:
    """The sentence for ``key`` in ``lang`` (falls back to English), placeholders filled."""
    try:
        entry = MESSAGES[key]
    except KeyError:
        raise MissingMessage(key) from None
    template = entry.get(lang) or entry["en"]
    return template.format(**values)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}
