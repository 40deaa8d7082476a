import pytest

from tests.e2e.stack import Chat, start_stack


@pytest.fixture(scope="session")
def model_path():
    from rasa_project.nlu.training import ensure_model

    return ensure_model()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, model_path):
    var_dir = tmp_path_factory.mktemp("stack-var")
    running, settings = start_stack(var_dir, model_path)
    try:
        yield running, settings
    finally:
        running.stop()


@pytest.fixture(scope="session")
def chat(stack):
    _, settings = stack
    return Chat(settings)
