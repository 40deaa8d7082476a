import shutil

import pytest

from rasa_project.settings import PROJECT_ROOT
from tests.e2e.stack import Chat, start_stack

# Kept after the run (not in pytest's rotating tmp dirs) so the services' logs can be read.
E2E_VAR = PROJECT_ROOT / "var" / "e2e"


@pytest.fixture(scope="session")
def model_path():
    from rasa_project.nlu.training import ensure_model

    return ensure_model()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, model_path):
    shutil.rmtree(E2E_VAR, ignore_errors=True)
    var_dir = E2E_VAR
    running, settings = start_stack(var_dir, model_path)
    try:
        yield running, settings
    finally:
        running.stop()


@pytest.fixture(scope="session")
def chat(stack):
    _, settings = stack
    return Chat(settings)
