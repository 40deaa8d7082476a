"""Build ExecuteBillQuery FilterStrings safely.

``literal`` is the ONLY way a value enters a filter: strings are single-quoted with ``'``
doubled (SQL style, as K/3 parses them), control characters are refused, numbers/dates are
formatted, anything else is refused. Field names must look like K/3 keys (``FBillNo``,
``FMaterialId.FNumber``). So ``P1' or '1'='1`` becomes the harmless literal
``'P1'' or ''1''=''1'``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)?$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class UnsafeFilterValue(ValueError):
    """A value or field name that cannot be put into a FilterString."""


def field(name: str) -> str:
    if not isinstance(name, str) or not _FIELD.match(name):
        raise UnsafeFilterValue(f"not a field key: {name!r}")
    return name


def literal(value) -> str:
    """A FilterString literal for ``value`` (str, int, float, Decimal, date, datetime)."""
    if isinstance(value, bool) or value is None:
        raise UnsafeFilterValue(f"unsupported literal: {value!r}")
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UnsafeFilterValue("not a finite number")
        return repr(value)
    if isinstance(value, datetime):
        return "'" + value.strftime("%Y-%m-%d %H:%M:%S") + "'"
    if isinstance(value, date):
        return "'" + value.isoformat() + "'"
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise UnsafeFilterValue("control characters are not allowed in a filter value")
        return "'" + value.replace("'", "''") + "'"
    raise UnsafeFilterValue(f"unsupported literal type: {type(value).__name__}")


def _like_escape(text: str) -> str:
    # SQL Server LIKE: wildcard characters are made literal by a one-character class.
    return re.sub(r"([%_\[])", r"[\1]", text)


def eq(name: str, value) -> str:
    return f"{field(name)}={literal(value)}"


def ne(name: str, value) -> str:
    return f"{field(name)}<>{literal(value)}"


def ge(name: str, value) -> str:
    return f"{field(name)}>={literal(value)}"


def le(name: str, value) -> str:
    return f"{field(name)}<={literal(value)}"


def contains(name: str, text: str) -> str:
    if not isinstance(text, str):
        raise UnsafeFilterValue("contains() takes a string")
    return f"{field(name)} like {literal('%' + _like_escape(text) + '%')}"


def in_(name: str, values: Iterable) -> str:
    items = [literal(v) for v in values]
    if not items:
        raise UnsafeFilterValue("in_() needs at least one value")
    return f"{field(name)} in ({','.join(items)})"


def all_of(*clauses: str) -> str:
    """``(a) and (b)``; empty clauses are dropped."""
    parts = [c for c in clauses if c]
    if len(parts) == 1:
        return parts[0]
    return " and ".join(f"({c})" for c in parts)
