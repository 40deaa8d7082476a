"""The wheel is the product only, and the fakes stand apart from the code they imitate.

* the wheel built from pyproject.toml holds rasa_project, actions, connectors, dingtalk_client and
  k3_client, and no dev tools (simulators, bench, reliability, slapd, fixture loader) nor tests;
* nothing the wheel holds imports ``devtools`` or ``tests`` (it would break once installed);
* the simulators share no code with the client they stand in for: no module under
  devtools/simulators imports the adapters (k3_client, dingtalk_client), the channel (connectors),
  the actions, or any of the core but its settings.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from rasa_project.settings import PROJECT_ROOT

PRODUCT = ("rasa_project", "actions", "connectors", "dingtalk_client", "k3_client")
NOT_SHIPPED = ("devtools", "tests", "scripts", "data", "docs")
# what a source copy leaves behind: venvs, trained models, run state, caches, old build output
LEFT_BEHIND = shutil.ignore_patterns(".git", ".venv*", "models", "var", "build", "dist", "*.egg-info", "__pycache__",
                                     ".pytest_cache", ".ruff_cache", "reports", "results", ".rasa")  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """Build the wheel from a copy of the source tree (the checkout itself stays untouched)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source, out = tmp / "src", tmp / "dist"
    shutil.copytree(PROJECT_ROOT, source, ignore=LEFT_BEHIND)
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation",
                            "--no-index", "-q", "-w", str(out)], cwd=source, check=False, capture_output=True,
                           text=True, timeout=300)  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    [path] = out.glob("dingk3-*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def _top_packages(archive: zipfile.ZipFile) -> set[str]:
    return {name.split("/", 1)[0] for name in archive.namelist() if "/" in name and ".dist-info/" not in name}


def test_the_wheel_holds_the_product_packages(wheel):
    assert _top_packages(wheel) == set(PRODUCT)
    names = set(wheel.namelist())
    for module in ("rasa_project/wiring.py", "rasa_project/settings.py", "k3_client/client.py", "k3_client/signing.py",
                   "dingtalk_client/openapi.py", "connectors/dingtalk.py", "actions/__init__.py"):  # fmt: skip
        assert module in names, module


def test_the_wheel_holds_no_dev_tools_or_tests(wheel):
    offending = [n for n in wheel.namelist()
                 if n.split("/", 1)[0] in NOT_SHIPPED
                 or any(part in ("simulators", "bench", "reliability", "tests") for part in n.split("/")[:-1])
                 or Path(n).name in ("slapd.py", "factory.py", "conftest.py")
                 or Path(n).name.startswith("test_")]  # fmt: skip
    assert offending == []


def imports_of(path: Path) -> set[str]:
    """Every module a file imports, at any depth (function-level imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def _modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (PROJECT_ROOT / folder).rglob("*.py"))


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_nothing_in_the_product_imports_dev_tools_or_tests():
    offending = {str(p.relative_to(PROJECT_ROOT)): sorted(m for m in imports_of(p)
                                                          if _under(m, "devtools") or _under(m, "tests"))
                 for p in _modules(*PRODUCT)}  # fmt: skip
    assert {k: v for k, v in offending.items() if v} == {}


SIMULATOR_MAY_USE = ("rasa_project.settings",)  # configuration only
SIMULATOR_MUST_NOT_USE = ("k3_client", "dingtalk_client", "connectors", "actions", "rasa_project")


@pytest.mark.parametrize("simulator", ["k3cloud", "dingtalk"])
def test_the_simulators_import_nothing_of_the_product_but_its_settings(simulator):
    modules = _modules(f"devtools/simulators/{simulator}")
    assert len(modules) >= 3  # the scan sees the package
    offending = {}
    for path in modules:
        borrowed = sorted(m for m in imports_of(path)
                          if any(_under(m, p) for p in SIMULATOR_MUST_NOT_USE)
                          and not any(_under(m, ok) for ok in SIMULATOR_MAY_USE))  # fmt: skip
        if borrowed:
            offending[str(path.relative_to(PROJECT_ROOT))] = borrowed
    assert offending == {}


def test_the_scan_sees_function_level_imports(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from k3_client.signing import signed_headers\n    import connectors.dingtalk\n")
    assert imports_of(probe) == {"k3_client.signing", "connectors.dingtalk"}
