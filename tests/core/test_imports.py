"""scripts/check_imports.py: no import circle and no forbidden arrow in our packages, and the
checker itself finds what it must (function-level imports count; TYPE_CHECKING ones do not)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from rasa_project.settings import PROJECT_ROOT

SCRIPT = PROJECT_ROOT / "scripts" / "check_imports.py"


@pytest.fixture(scope="module")
def checker():
    spec = importlib.util.spec_from_file_location("check_imports", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_imports"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("check_imports", None)


def test_our_packages_have_no_cycle_and_no_forbidden_import(checker):
    assert checker.problems(PROJECT_ROOT) == []


def test_the_command_exits_0_on_our_tree():
    done = subprocess.run([sys.executable, str(SCRIPT)], check=False, capture_output=True, text=True,
                          cwd=PROJECT_ROOT)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no cycle" in done.stdout


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_function_level_cycle_and_every_forbidden_arrow_are_reported(checker, tmp_path):
    write(
        tmp_path,
        {
            "rasa_project/__init__.py": "",
            "rasa_project/a.py": "def f():\n    from rasa_project import b\n    return b\n",
            "rasa_project/b.py": "import rasa_project.a\n",
            "rasa_project/c.py": "from connectors.channel import Channel\n",
            "rasa_project/d.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from devtools.tool import Tool\n"
            ),
            "rasa_project/e.py": "from devtools import tool\n",
            "rasa_project/ordering/__init__.py": "",
            "rasa_project/ordering/rules.py": "",
            "connectors/__init__.py": "",
            "connectors/channel.py": "class Channel: ...\n",
            "k3_client/__init__.py": "",
            "k3_client/client.py": "def f():\n    from rasa_project.settings import get_settings\n",
            "devtools/__init__.py": "",
            "devtools/tool.py": "class Tool: ...\n",
            "actions/__init__.py": "",
            "actions/ok.py": "from rasa_project import a\n",
            "actions/bad.py": "from rasa_project.ordering.rules import decide\n",
        },
    )
    lines = checker.problems(tmp_path)
    text = "\n".join(lines)
    assert lines[0].startswith("import cycle: rasa_project.a <-> rasa_project.b")
    assert "rasa_project/a.py:2: rasa_project.a imports rasa_project.b" in text
    assert "rasa_project/c.py:1: rasa_project.c imports connectors.channel (the core never imports" in text
    assert "k3_client/client.py:2: k3_client.client imports rasa_project (an adapter imports nothing" in text
    assert "actions/bad.py:1: actions.bad imports rasa_project.ordering.rules" in text
    assert "rasa_project.d" not in text  # TYPE_CHECKING imports are types, not arrows
    assert "rasa_project/e.py:1: rasa_project.e imports devtools.tool (the product never imports devtools)" in text
    assert "actions/ok.py:1: actions.ok imports rasa_project.a" in text  # actions use wiring and chat only
    assert len(lines) == 6, text


def test_relative_imports_resolve_like_python(checker, tmp_path):
    write(
        tmp_path,
        {
            "rasa_project/__init__.py": "",
            "rasa_project/chat/__init__.py": "from . import turn\n",
            "rasa_project/chat/turn.py": "from ..values import read_quantity\n",
            "rasa_project/values.py": "",
        },
    )
    _, edges = checker.import_graph(tmp_path)
    pairs = {(e.source, e.target) for e in edges}
    assert ("rasa_project.chat", "rasa_project.chat.turn") in pairs
    assert ("rasa_project.chat.turn", "rasa_project.values") in pairs
