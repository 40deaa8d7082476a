"""A real parser for ExecuteBillQuery ``FilterString`` (the SQL-like subset K/3 passes to SQL Server).

Grammar::

    expr      := term (OR term)*
    term      := factor (AND factor)*
    factor    := NOT factor | '(' expr ')' | predicate
    predicate := operand cmp operand
               | operand [NOT] LIKE operand
               | operand [NOT] IN '(' operand (',' operand)* ')'
               | operand [NOT] BETWEEN operand AND operand
               | operand IS [NOT] NULL
    operand   := field-key | 'quoted literal' ('' escapes a quote) | number
    cmp       := = | <> | != | > | < | >= | <=

Comparisons follow SQL Server's default collation: text compares case-insensitively, NULL
compares false. ``evaluate`` takes a resolver ``name -> (value, kind)`` so the store decides
what a field key means.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from devtools.simulators.k3cloud.forms import DATE, DECIMAL, INT

_TOKEN = re.compile(
    r"""\s+
    | (?P<str>'(?:[^']|'')*')
    | (?P<num>-?\d+(?:\.\d+)?)(?![A-Za-z_])
    | (?P<name>[A-Za-z_\u4e00-\u9fff][A-Za-z0-9_.\u4e00-\u9fff]*)
    | (?P<op><>|!=|>=|<=|=|<|>)
    | (?P<punct>[(),])
    """,
    re.VERBOSE,
)
KEYWORDS = {"and", "or", "not", "like", "in", "is", "null", "between"}


class FilterError(ValueError):
    """The FilterString cannot be parsed or evaluated (message in Chinese, as K/3 answers)."""


def tokenize(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise FilterError(f"过滤条件语法错误：位置{pos}附近的“{text[pos:pos + 10]}”无法识别")
        pos = m.end()
        kind = m.lastgroup
        if kind is None:
            continue
        value = m.group(kind)
        if kind == "str":
            tokens.append(("lit", value[1:-1].replace("''", "'")))
        elif kind == "num":
            tokens.append(("lit", float(value) if "." in value else int(value)))
        elif kind == "name":
            tokens.append(("kw", value.lower()) if value.lower() in KEYWORDS else ("field", value))
        else:
            tokens.append((kind, "<>" if value == "!=" else value))
    return tokens


class _Parser:
    def __init__(self, tokens: list) -> None:
        self.tokens, self.i = tokens, 0

    def peek(self, kind: str, value: Any = None) -> bool:
        if self.i >= len(self.tokens):
            return False
        k, v = self.tokens[self.i]
        return k == kind and (value is None or v == value)

    def take(self, kind: str, value: Any = None):
        if not self.peek(kind, value):
            got = self.tokens[self.i][1] if self.i < len(self.tokens) else "结尾"
            raise FilterError(f"过滤条件语法错误：“{got}”附近应为{value or kind}")
        self.i += 1
        return self.tokens[self.i - 1][1]

    def expr(self):
        node = self.term()
        while self.peek("kw", "or"):
            self.i += 1
            node = ("or", node, self.term())
        return node

    def term(self):
        node = self.factor()
        while self.peek("kw", "and"):
            self.i += 1
            node = ("and", node, self.factor())
        return node

    def factor(self):
        if self.peek("kw", "not"):
            self.i += 1
            return ("not", self.factor())
        if self.peek("punct", "("):
            self.i += 1
            node = self.expr()
            self.take("punct", ")")
            return node
        return self.predicate()

    def operand(self):
        if self.peek("field"):
            return ("field", self.take("field"))
        if self.peek("lit"):
            return ("lit", self.take("lit"))
        got = self.tokens[self.i][1] if self.i < len(self.tokens) else "结尾"
        raise FilterError(f"过滤条件语法错误：“{got}”附近应为字段或值")

    def predicate(self):
        left = self.operand()
        if self.peek("op"):
            return ("cmp", self.take("op"), left, self.operand())
        negate = False
        if self.peek("kw", "is"):
            self.i += 1
            if self.peek("kw", "not"):
                self.i += 1
                negate = True
            self.take("kw", "null")
            return ("null", left, negate)
        if self.peek("kw", "not"):
            self.i += 1
            negate = True
        if self.peek("kw", "like"):
            self.i += 1
            return ("like", left, self.operand(), negate)
        if self.peek("kw", "in"):
            self.i += 1
            self.take("punct", "(")
            items = [self.operand()]
            while self.peek("punct", ","):
                self.i += 1
                items.append(self.operand())
            self.take("punct", ")")
            return ("in", left, items, negate)
        if self.peek("kw", "between"):
            self.i += 1
            low = self.operand()
            self.take("kw", "and")
            return ("between", left, low, self.operand(), negate)
        got = self.tokens[self.i][1] if self.i < len(self.tokens) else "结尾"
        raise FilterError(f"过滤条件语法错误：“{got}”附近应为比较运算符")


def parse(text: str):
    """The AST of a FilterString, or None for an empty filter."""
    if not text or not text.strip():
        return None
    parser = _Parser(tokenize(text))
    node = parser.expr()
    if parser.i != len(parser.tokens):
        raise FilterError(f"过滤条件语法错误：“{parser.tokens[parser.i][1]}”附近有多余内容")
    return node


def fields_of(node) -> set[str]:
    """Every field key the filter mentions."""
    out: set[str] = set()

    def walk(n) -> None:
        if isinstance(n, tuple):
            if n and n[0] == "field":
                out.add(n[1])
                return
            for part in n[1:]:
                walk(part)
        elif isinstance(n, list):
            for part in n:
                walk(part)

    walk(node)
    return out


Resolver = Callable[[str], tuple[Any, str | None]]


def _as_datetime(value) -> datetime:
    text = str(value).strip().replace("/", "-")
    try:
        return datetime.fromisoformat(text[:19].replace(" ", "T"))
    except ValueError:
        raise FilterError(f"从字符串转换日期和/或时间时，转换失败：{value}") from None


def _coerce(value, kind: str | None):
    if value is None:
        return None
    if kind in (DECIMAL, INT):
        try:
            return float(value)
        except (TypeError, ValueError):
            raise FilterError(f"从数据类型 varchar 转换为 numeric 时出错：{value}") from None
    if kind == DATE:
        return _as_datetime(value)
    return str(value).casefold()


def _pair(left, right, resolve: Resolver):
    lv, lk = _operand(left, resolve)
    rv, rk = _operand(right, resolve)
    kind = lk or rk
    if kind is None and (isinstance(lv, str) or isinstance(rv, str)):
        return (None if lv is None else str(lv).casefold()), (None if rv is None else str(rv).casefold())
    return _coerce(lv, kind), _coerce(rv, kind)


def _operand(node, resolve: Resolver):
    if node[0] == "field":
        return resolve(node[1])
    return node[1], None


def like_regex(pattern: str) -> re.Pattern:
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        elif ch == "[":
            end = pattern.find("]", i + 2)
            if end == -1:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1:end]
                neg = body.startswith("^")
                body = body[1:] if neg else body
                out.append("[" + ("^" if neg else "") + "".join(re.escape(c) if c != "-" else "-" for c in body) + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out), re.DOTALL | re.IGNORECASE)


_CMP = {
    "=": lambda a, b: a == b,
    "<>": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
}


def evaluate(node, resolve: Resolver) -> bool:
    if node is None:
        return True
    tag = node[0]
    if tag == "and":
        return evaluate(node[1], resolve) and evaluate(node[2], resolve)
    if tag == "or":
        return evaluate(node[1], resolve) or evaluate(node[2], resolve)
    if tag == "not":
        return not evaluate(node[1], resolve)
    if tag == "cmp":
        a, b = _pair(node[2], node[3], resolve)
        if a is None or b is None:
            return False
        try:
            return _CMP[node[1]](a, b)
        except TypeError:
            raise FilterError("比较运算的数据类型不一致") from None
    if tag == "null":
        value, _ = _operand(node[1], resolve)
        return (value is not None) if node[2] else (value is None)
    if tag == "like":
        value, _ = _operand(node[1], resolve)
        pattern, _ = _operand(node[2], resolve)
        if value is None or pattern is None:
            return False
        return bool(like_regex(str(pattern)).fullmatch(str(value))) != node[3]
    if tag == "in":
        hit = False
        for item in node[2]:
            a, b = _pair(node[1], item, resolve)
            if a is not None and b is not None and a == b:
                hit = True
                break
        value, _ = _operand(node[1], resolve)
        if value is None:
            return False
        return hit != node[3]
    if tag == "between":
        a, low = _pair(node[1], node[2], resolve)
        _, high = _pair(node[1], node[3], resolve)
        if a is None or low is None or high is None:
            return False
        return (low <= a <= high) != node[4]
    raise FilterError(f"unknown node {tag}")
