import os
import time

import pytest

from rasa_project.settings import PROJECT_ROOT
from tests.e2e.stack import Chat, start_stack
from tests.requirements import need

# Kept after the run (not in pytest's rotating tmp dirs) so the services' logs can be read;
# one directory per run, so two runs on one machine never share a database. var/e2e/latest
# points at the newest.
E2E_ROOT = PROJECT_ROOT / "var" / "e2e"


@pytest.fixture(scope="session")
def model_path():
    from rasa_project.nlu.training import ensure_model

    return ensure_model()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, model_path):
    need("slapd")  # the stack runs its own slapd
    E2E_ROOT.mkdir(parents=True, exist_ok=True)
    var_dir = E2E_ROOT / f"run-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    var_dir.mkdir()
    latest = E2E_ROOT / "latest"
    if latest.is_symlink() or latest.exists():
        latest.unlink()
    latest.symlink_to(var_dir.name)
    running, settings = start_stack(var_dir, model_path)
    try:
        yield running, settings
    finally:
        running.stop()


@pytest.fixture(scope="session")
def chat(stack):
    _, settings = stack
    return Chat(settings)
