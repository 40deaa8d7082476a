"""Session-wide test policy: a test marked with a component it needs fails when that component is
missing, unless DINGK3_ALLOW_SKIP allows skipping it (tests/requirements.py)."""

from __future__ import annotations

import pytest

from tests.requirements import COMPONENTS, allowed_to_skip, need


def pytest_configure(config):
    allowed_to_skip()  # a misspelt DINGK3_ALLOW_SKIP stops the run before anything is skipped


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    for marker in item.iter_markers():
        if marker.name in COMPONENTS:
            need(marker.name)
