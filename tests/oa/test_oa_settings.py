"""The OA settings default to the fixture's demo values, and the AES key stays secret."""

from __future__ import annotations

from devtools.factory import load_factory
from rasa_project.settings import Settings


def test_oa_defaults_are_the_fixtures_demo_values():
    settings = Settings()
    dingtalk = load_factory(settings.fixture_path).dingtalk
    assert settings.dingtalk_approval_process_code == dingtalk["approval_process_code"]
    assert settings.dingtalk_event_token == dingtalk["event_token"]
    assert settings.dingtalk_event_aes_key.get_secret_value() == dingtalk["event_aes_key"]
    assert len(dingtalk["event_aes_key"]) == 43


def test_the_event_aes_key_is_masked_and_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("DINGK3_DINGTALK_EVENT_AES_KEY", "A" * 43)
    settings = Settings()
    assert settings.dingtalk_event_aes_key.get_secret_value() == "A" * 43
    assert settings.safe_dict()["dingtalk_event_aes_key"] == "**********"
    assert "A" * 43 not in repr(settings) and "A" * 43 not in str(settings.safe_dict())
