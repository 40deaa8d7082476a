"""Check the direction of imports between our packages: no circles, no forbidden arrows.

    .venv/bin/python scripts/check_imports.py        # exit 0: clean; 1: problems (listed)

Every ``import`` counts, at module level or inside a function, except under ``if TYPE_CHECKING:``
(a function-level import is still an arrow: it only moves the circle to run time). Reads the source
with ``ast``; imports nothing of ours. Rules (docs/ARCHITECTURE.md):

1. no cycle between first-party modules (product, devtools and tests alike);
2. the product (rasa_project, actions, connectors, dingtalk_client, k3_client) never imports devtools;
3. the adapters (k3_client, dingtalk_client) import nothing of ours but themselves;
4. the core (rasa_project) never imports the edges that call it (connectors, actions);
5. the actions reach the core through its front door only: the composition root
   (``rasa_project.wiring``), the chat package (turn, use cases, access), the catalog, outcomes and
   the permission names (``rasa_project.authz.roles``).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("rasa_project", "actions", "connectors", "dingtalk_client", "k3_client", "devtools", "tests")
PRODUCT = frozenset({"rasa_project", "actions", "connectors", "dingtalk_client", "k3_client"})
ADAPTERS = frozenset({"k3_client", "dingtalk_client"})

# (importing package, imported package) -> why the arrow is forbidden
FORBIDDEN = {
    **{(p, "devtools"): "the product never imports devtools" for p in PRODUCT},
    **{
        (a, other): "an adapter imports nothing of ours but itself"
        for a in ADAPTERS
        for other in PACKAGES
        if other != a
    },
    ("rasa_project", "connectors"): "the core never imports the channel that calls it",
    ("rasa_project", "actions"): "the core never imports the actions that call it",
}
# what actions may import from the core (a module or everything under a package)
ACTIONS_MAY_IMPORT = (
    "rasa_project.wiring",
    "rasa_project.chat",
    "rasa_project.catalog",
    "rasa_project.outcomes",
    "rasa_project.authz.roles",
)


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported first-party module
    path: Path
    line: int

    def where(self, root: Path) -> str:
        return f"{self.path.relative_to(root)}:{self.line}"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def find_modules(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in packages:
        base = root / package
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.py")):
            modules[module_name(path, root)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except the body of ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)  # the else branch runs
            continue
        stack.extend(ast.iter_child_nodes(node))


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The most specific first-party module ``name`` refers to (a name in a module -> that module)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> list[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: list[Import] = []
    for node in _import_nodes(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:  # relative: from .x import y / from .. import z
                anchor = module.split(".")
                drop = node.level - 1 if is_package else node.level
                anchor = anchor[: len(anchor) - drop] if drop else anchor
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if base else alias.name for alias in node.names]
        for target in targets:
            resolved = _resolve(target, modules)
            if resolved is not None and resolved != module:
                found.append(Import(module, resolved, path, node.lineno))
    return found


def import_graph(root: Path, packages: Iterable[str] = PACKAGES) -> tuple[dict[str, Path], list[Import]]:
    modules = find_modules(root, packages)
    edges = [edge for name, path in modules.items() for edge in imports_of(name, path, modules)]
    return modules, edges


def cycles(modules: Iterable[str], edges: Iterable[Import]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def _under(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def forbidden(edges: Iterable[Import]) -> list[tuple[Import, str]]:
    out = []
    for e in edges:
        source, target = e.source.split(".")[0], e.target.split(".")[0]
        reason = FORBIDDEN.get((source, target))
        actions_to_core = source == "actions" and target == "rasa_project" and e.target != "rasa_project"
        if reason is None and actions_to_core and not _under(e.target, ACTIONS_MAY_IMPORT):
            reason = "actions call the core through wiring and the chat use cases only"
        if reason:
            out.append((e, reason))
    return out


def problems(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> list[str]:
    """Every violation, one readable line (or block) each; empty when the imports are clean."""
    modules, edges = import_graph(root, packages)
    lines: list[str] = []
    for component in cycles(modules, edges):
        members = set(component)
        inside = sorted(
            (e for e in edges if e.source in members and e.target in members), key=lambda e: (e.source, e.line)
        )
        lines.append(
            "import cycle: " + " <-> ".join(component) + "".join(
                f"\n    {e.where(root)}: {e.source} imports {e.target}" for e in inside
            )
        )
    for e, reason in forbidden(edges):
        lines.append(f"forbidden import: {e.where(root)}: {e.source} imports {e.target} ({reason})")
    return lines


def main(argv: list[str] | None = None) -> int:
    root = Path(argv[0]).resolve() if argv else ROOT
    modules, edges = import_graph(root)
    found = problems(root)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} import problem(s) in {len(modules)} modules", file=sys.stderr)
        return 1
    print(f"imports ok: {len(modules)} modules, {len(edges)} first-party imports, no cycle, no forbidden arrow")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
