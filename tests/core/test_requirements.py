"""No silent vanishing: a missing component fails a test, and skips it only when DINGK3_ALLOW_SKIP says so."""

from __future__ import annotations

import ast
import dataclasses

import pytest

from rasa_project.settings import PROJECT_ROOT
from tests import requirements
from tests.requirements import ALLOW_SKIP_VARIABLE, COMPONENTS, need

SKIPPERS = {"skip", "skipif", "importorskip"}


@pytest.fixture
def broken_redis(monkeypatch):
    """Pretend Redis is not there (only for this test: the check result cache is cleared around it)."""
    fake = dataclasses.replace(COMPONENTS["redis"], problem=lambda: "nothing answers on 127.0.0.1:6379 (test)")
    monkeypatch.setitem(COMPONENTS, "redis", fake)
    requirements.missing.cache_clear()
    yield
    requirements.missing.cache_clear()


def test_a_missing_component_fails_with_what_and_how(broken_redis, monkeypatch):
    monkeypatch.delenv(ALLOW_SKIP_VARIABLE, raising=False)
    with pytest.raises(pytest.fail.Exception) as failed:
        need("redis")
    text = str(failed.value)
    assert "Redis on 127.0.0.1:6379 is missing" in text and "make setup" in text and f"{ALLOW_SKIP_VARIABLE}=redis" in text


def test_a_missing_component_is_skipped_only_when_allowed_by_name(broken_redis, monkeypatch):
    monkeypatch.setenv(ALLOW_SKIP_VARIABLE, "sdk,browser")
    with pytest.raises(pytest.fail.Exception):
        need("redis")
    monkeypatch.setenv(ALLOW_SKIP_VARIABLE, "sdk, redis")
    with pytest.raises(pytest.skip.Exception) as skipped:
        need("redis")
    assert ALLOW_SKIP_VARIABLE in str(skipped.value)


def test_a_misspelt_component_name_is_a_usage_error(monkeypatch):
    monkeypatch.setenv(ALLOW_SKIP_VARIABLE, "browsers")
    with pytest.raises(pytest.UsageError, match="browsers"):
        requirements.allowed_to_skip()


def test_a_present_component_passes_whatever_is_allowed(monkeypatch):
    monkeypatch.setenv(ALLOW_SKIP_VARIABLE, "")
    need("slapd")  # bootstrap.sh installs it; this machine ran bootstrap to get here


def _skip_calls(path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        target = node.func if isinstance(node, ast.Call) else node if isinstance(node, ast.Attribute) else None
        if isinstance(target, ast.Attribute) and target.attr in SKIPPERS:
            base = target.value
            if isinstance(base, ast.Attribute) and base.attr == "mark" or isinstance(base, ast.Name) and base.id == "pytest":
                lines.append(node.lineno)
    return lines


def test_every_skip_goes_through_the_one_helper():
    found = {}
    for path in sorted((PROJECT_ROOT / "tests").rglob("*.py")):
        if path.name in ("requirements.py", "test_requirements.py"):  # the helper, and this test of it
            continue
        lines = _skip_calls(path)
        if lines:
            found[str(path.relative_to(PROJECT_ROOT))] = sorted(set(lines))
    assert found == {}, "skip only through tests/requirements.py need(): " + repr(found)
