"""Render deploy/helm/dingk3 without helm: the subset of Go templates and Sprig the chart uses.

helm is neither a Debian package nor pip-installable, so ``make test`` cannot run ``helm template``
from the repository's own files. This renderer understands exactly what our templates use —
``define``/``include``, ``if``/``else``, ``range $k, $v :=``, pipelines, ``{{-``/``-}}`` trimming,
and the functions ``toYaml nindent indent quote default printf trunc trimSuffix sha256sum not
print`` — and is stricter than helm: a missing value, an unknown function or an unbalanced block
is an error, never an empty string. tests/topology/test_helm_chart.py renders the chart with it,
parses every manifest and validates them against the Kubernetes schemas (kubernetes-validate, in
.venv-k8s). ``python -m devtools.topology.helm_render [--set a.b=c ...]`` prints the manifests.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import sys
from pathlib import Path

import yaml

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "dingk3"
_ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.DOTALL)


class TemplateError(ValueError):
    pass


def _lex(source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos, trim_next = 0, False
    for m in _ACTION.finditer(source):
        text = source[pos:m.start()]
        if trim_next:
            text = text.lstrip(" \t\r\n")
        if m.group(1):
            text = text.rstrip(" \t\r\n")
        out.append(("text", text))
        if not m.group(2).startswith("/*"):
            out.append(("action", m.group(2)))
        trim_next, pos = bool(m.group(3)), m.end()
    tail = source[pos:]
    out.append(("text", tail.lstrip(" \t\r\n") if trim_next else tail))
    return out


def _parse(tokens: list, i: int, stop: tuple[str, ...]) -> tuple[list, int, str | None]:
    nodes: list = []
    while i < len(tokens):
        kind, value = tokens[i]
        i += 1
        if kind == "text":
            nodes.append(("text", value))
            continue
        word = value.split(None, 1)[0] if value else ""
        if word in stop:
            return nodes, i, value
        if word in ("if", "range", "define", "with"):
            body, i, ended = _parse(tokens, i, ("end", "else"))
            alt: list = []
            if ended == "else":
                alt, i, ended = _parse(tokens, i, ("end",))
            if ended != "end":
                raise TemplateError(f"{value!r} is never closed")
            nodes.append((word, value.split(None, 1)[1], body, alt))
        elif word in ("end", "else"):
            raise TemplateError(f"unexpected {value!r}")
        else:
            nodes.append(("out", value))
    if stop:
        raise TemplateError(f"missing {{{{ end }}}} (wanted one of {stop})")
    return nodes, i, None


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside quotes and parentheses."""
    parts, depth, quote, cur = [], 0, False, ""
    for ch in text:
        if ch == '"' and not cur.endswith("\\"):
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        if not quote and depth == 0 and (ch == sep if sep != " " else ch.isspace()):
            parts.append(cur)
            cur = ""
            continue
        cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def _truthy(v) -> bool:
    return bool(v) and v != 0


def _go_str(v) -> str:
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return str(v)


def _to_yaml(v) -> str:
    return yaml.safe_dump(v, default_flow_style=False, sort_keys=True, allow_unicode=True).rstrip("\n")


class Renderer:
    def __init__(self, chart: Path = CHART, values: dict | None = None, release: str = "prod"):
        meta = yaml.safe_load((chart / "Chart.yaml").read_text())
        self.chart = chart
        self.values = _merge(yaml.safe_load((chart / "values.yaml").read_text()), values or {})
        self.root = {
            "Values": self.values,
            "Release": {"Name": release, "Namespace": "default", "Service": "Helm", "Revision": 1},
            "Chart": {"Name": meta["name"], "Version": meta["version"], "AppVersion": meta["appVersion"]},
        }
        self.defines: dict[str, list] = {}
        self.templates: dict[str, list] = {}
        for path in sorted((chart / "templates").iterdir()):
            nodes, _, _ = _parse(_lex(path.read_text()), 0, ())
            for node in nodes:
                if node[0] == "define":
                    self.defines[json.loads(node[1])] = node[2]
            if not path.name.startswith("_") and path.suffix in (".yaml", ".yml"):
                self.templates[path.name] = nodes

    # evaluation
    def _term(self, term: str, dot, scope: dict):
        if term.startswith("(") and term.endswith(")"):
            return self._pipeline(term[1:-1], dot, scope)
        if term.startswith('"'):
            return json.loads(term)
        if re.fullmatch(r"-?\d+", term):
            return int(term)
        if term in ("true", "false"):
            return term == "true"
        if term == ".":
            return dot
        if term.startswith("$"):
            name, _, path = term.partition(".")
            base = self.root if name == "$" else scope[name]
            return self._walk(base, path, term)
        if term.startswith("."):
            return self._walk(dot, term[1:], term)
        raise TemplateError(f"cannot read {term!r}")

    @staticmethod
    def _walk(base, path: str, term: str):
        for key in filter(None, path.split(".")):
            if not isinstance(base, dict) or key not in base:
                raise TemplateError(f"{term}: no value {key!r}")
            base = base[key]
        return base

    def _call(self, name: str, args: list, dot):
        if name == "include":
            return self._render(self.defines[args[0]], args[1], {})
        if name == "toYaml":
            return _to_yaml(args[0])
        if name in ("nindent", "indent"):
            pad = " " * args[0]
            text = "\n".join(pad + line if line else line for line in str(args[1]).split("\n"))
            return ("\n" if name == "nindent" else "") + text
        if name == "quote":
            return json.dumps(_go_str(args[0]), ensure_ascii=False)
        if name == "default":
            return args[1] if _truthy(args[1]) else args[0]
        if name == "printf":
            return re.sub(r"%[vsd]", "{}", args[0]).format(*(_go_str(a) for a in args[1:]))
        if name == "print":
            return "".join(_go_str(a) for a in args)
        if name == "trunc":
            return str(args[1])[: args[0]]
        if name == "trimSuffix":
            return args[1][: -len(args[0])] if args[0] and args[1].endswith(args[0]) else args[1]
        if name == "sha256sum":
            return hashlib.sha256(str(args[0]).encode()).hexdigest()
        if name == "not":
            return not _truthy(args[0])
        raise TemplateError(f"unknown function {name!r}")

    def _pipeline(self, text: str, dot, scope: dict):
        value, first = None, True
        for command in _split(text, "|"):
            words = _split(command, " ")
            head = words[0]
            if re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", head) and head not in ("true", "false"):
                args = [self._term(w, dot, scope) for w in words[1:]] + ([] if first else [value])
                value = self._call(head, args, dot)
            else:
                if len(words) != 1 or not first:
                    raise TemplateError(f"cannot evaluate {command!r}")
                value = self._term(head, dot, scope)
            first = False
        return value

    def _render(self, nodes: list, dot, scope: dict) -> str:
        out = []
        for node in nodes:
            kind = node[0]
            if kind == "text":
                out.append(node[1])
            elif kind == "out":
                out.append(_go_str(self._pipeline(node[1], dot, scope)))
            elif kind == "if":
                branch = node[2] if _truthy(self._pipeline(node[1], dot, scope)) else node[3]
                out.append(self._render(branch, dot, scope))
            elif kind == "range":
                m = re.fullmatch(r"\$(\w+),\s*\$(\w+)\s*:=\s*(.+)", node[1])
                if not m:
                    raise TemplateError(f"range form not supported: {node[1]!r}")
                items = self._pipeline(m.group(3), dot, scope)
                pairs = sorted(items.items()) if isinstance(items, dict) else list(enumerate(items or []))
                for k, v in pairs:
                    out.append(self._render(node[2], dot, {**scope, f"${m.group(1)}": k, f"${m.group(2)}": v}))
            elif kind == "define":
                continue
            else:
                raise TemplateError(f"{kind} not supported")
        return "".join(out)

    def render(self) -> dict[str, str]:
        return {name: self._render(nodes, self.root, {}) for name, nodes in self.templates.items()}

    def manifests(self) -> list[dict]:
        docs = []
        for text in self.render().values():
            for doc in yaml.safe_load_all(text):
                if doc is not None:
                    docs.append(doc)
        return docs


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def set_values(pairs: list[str]) -> dict:
    """``a.b=c`` pairs (values parsed as YAML) as a nested dict, like ``helm --set``."""
    out: dict = {}
    for pair in pairs:
        key, _, raw = pair.partition("=")
        node = out
        *parents, last = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = yaml.safe_load(raw)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    pairs = [argv[i + 1] for i, a in enumerate(argv) if a == "--set"]
    for name, text in Renderer(values=set_values(pairs)).render().items():
        print(f"---\n# Source: dingk3/templates/{name}\n{text.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
