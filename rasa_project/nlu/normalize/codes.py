"""Codes and names: order numbers, material chat codes / K/3 numbers, work centers, production
types, and every alias from the mapping tables (data/mapping/*.yml).

Codes are found by pattern (an unknown "BOM-9999" is still a material code, so the dialog can
say it does not exist); names and aliases by longest match over a case-, width- and
space-folded copy of the message, so "Rumah Motor", "rumahmotor" and "电机外壳" all hit.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from rasa_project.nlu.normalize import Span, select_non_overlapping
from rasa_project.values import ORDER_NO, order_no_of

K3_NUMBER = re.compile(r"(?<![\d.])(\d{1,2}(?:\.\d{2,4}){2,3})(?![\d.])")
WORK_CENTER_CODE = re.compile(r"(?<![A-Za-z0-9])WC[\s\-_]*(\d{1,3})(?!\d)", re.IGNORECASE)
_SEP = r"[\s\-_－—–]*"


def find_order_numbers(text: str) -> list[Span]:
    """Every order number in ``text``, in its normal form (``rasa_project.values``)."""
    text = unicodedata.normalize("NFKC", text)
    return [Span(m.start(), m.end(), order_no_of(m), "order_no") for m in ORDER_NO.finditer(text)]


def material_code_pattern(prefixes: Iterable[str]) -> re.Pattern:
    alternatives = "|".join(sorted({re.escape(p.upper()) for p in prefixes}, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9])({alternatives}){_SEP}(\d{{3,6}})(?![\d.])", re.IGNORECASE)


def find_material_codes(text: str, prefixes: Iterable[str] = ("BOM",)) -> list[Span]:
    """'bom2050', 'BOM 2050', 'Bom-2050' -> 'BOM-2050' (known or not)."""
    text = unicodedata.normalize("NFKC", text)
    pattern = material_code_pattern(prefixes)
    return [Span(m.start(), m.end(), f"{m.group(1).upper()}-{m.group(2)}", "material") for m in pattern.finditer(text)]


def find_k3_numbers(text: str) -> list[Span]:
    """K/3 material numbers such as '1.01.2050' (value is the number as written)."""
    text = unicodedata.normalize("NFKC", text)
    return [Span(m.start(), m.end(), m.group(1), "k3_number") for m in K3_NUMBER.finditer(text)]


def find_work_center_codes(text: str) -> list[Span]:
    """'WC-01', 'wc1', 'WC 01' -> 'WC-01'."""
    text = unicodedata.normalize("NFKC", text)
    return [Span(m.start(), m.end(), f"WC-{int(m.group(1)):02d}", "work_center") for m in WORK_CENTER_CODE.finditer(text)]


# --- aliases ----------------------------------------------------------------------------------
_DROP = re.compile(r"[\s\-_·.／/]")


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Folded text (NFKC, casefold, no spaces/hyphens/dots) and, per folded char, its source index."""
    out: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).casefold():
            if not _DROP.match(c):
                out.append(c)
                offsets.append(i)
    return "".join(out), offsets


def fold(text: str) -> str:
    return fold_with_offsets(text)[0]


def _is_latin_word_char(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


@dataclass(frozen=True)
class Alias:
    key: str  # folded
    entity: str  # material | work_center | production_type
    value: str  # normalised value (chat code, WC number, bill type)
    needs_context: bool = False  # generic word: only counts next to a context word


@dataclass(frozen=True)
class AliasIndex:
    aliases: tuple[Alias, ...]
    context: re.Pattern  # words that make a generic alias count (e.g. "tipe", "type", "订单")

    def find(self, text: str, *, without_context: bool = False) -> list[Span]:
        """Longest non-overlapping alias matches; Latin aliases must stand as whole words.
        ``without_context``: generic words count alone too (the message is a bare answer)."""
        text = unicodedata.normalize("NFKC", text)
        folded, offsets = fold_with_offsets(text)
        found: list[Span] = []
        for alias in self.aliases:
            if not alias.key:
                continue
            start = folded.find(alias.key)
            while start >= 0:
                span = self._span(text, offsets, alias, start, without_context)
                if span is not None:
                    found.append(span)
                start = folded.find(alias.key, start + 1)
        return select_non_overlapping(found)

    def _span(self, text: str, offsets: list[int], alias: Alias, fstart: int,
              without_context: bool = False) -> Span | None:
        fend = fstart + len(alias.key)
        start, end = offsets[fstart], offsets[fend - 1] + 1
        if _is_latin_word_char(alias.key[0]) and start > 0 and _is_latin_word_char(text[start - 1]):
            return None
        if _is_latin_word_char(alias.key[-1]) and end < len(text) and _is_latin_word_char(text[end]):
            plural = re.match(r"(?:es|s)(?![A-Za-z0-9])", text[end:])
            if not (plural and alias.key[-1].isalpha()):
                return None
            end += plural.end()  # "impellers", "motor housings"
        if alias.needs_context and not without_context and not self._has_context(text, start, end):
            return None
        return Span(start, end, alias.value, alias.entity)

    def _has_context(self, text: str, start: int, end: int) -> bool:
        before = text[max(0, start - 12):start]
        after = text[end:end + 12]
        return bool(re.search(r"(?:" + self.context.pattern + r")[\s:：=]*$", before, re.IGNORECASE)
                    or re.match(r"[\s:：=]*(?:" + self.context.pattern + r")", after, re.IGNORECASE))


# A generic production-type word ("standard", "langsung", "标准") is a type only next to one of
# these; otherwise "langsung buat order" (= "just make an order") would pick a bill type.
TYPE_CONTEXT = r"tipe|type|jenis|类型|类别|生产订单|订单|工单|单|order|MO\b|PO\b"


def is_generic_word(name: str) -> bool:
    """One everyday word ("standard", "langsung", "标准"), not a specific multi-word name or code."""
    name = name.strip()
    return " " not in name and not re.search(r"[\u4e00-\u9fff]{4,}|[\d_]", name)


def build_alias_index(tables) -> AliasIndex:
    """Alias index from ``rasa_project.mapping.MappingTables`` (names in every language + aliases)."""
    aliases: list[Alias] = []
    for m in tables.materials:
        for name in {m.chat_code, *m.name.values(), *m.aliases}:
            aliases.append(Alias(fold(name), "material", m.chat_code))
    for w in tables.work_centers:
        for name in {*w.name.values(), *w.aliases}:
            aliases.append(Alias(fold(name), "work_center", w.number))
    for t in tables.production_types:
        for name in {t.bill_type, *t.name.values(), *t.aliases}:
            aliases.append(Alias(fold(name), "production_type", t.bill_type, needs_context=is_generic_word(name)))
    unique = {(a.key, a.entity, a.value): a for a in aliases if a.key}
    return AliasIndex(tuple(sorted(unique.values(), key=lambda a: -len(a.key))), re.compile(TYPE_CONTEXT, re.IGNORECASE))
