"""Secrets (issue 20 §7): from the environment or a secrets directory, never the demo values in
production, masked in diagnostics, and the DingTalk app secret rotatable without a gap."""

from __future__ import annotations

import dataclasses

import pytest
from pydantic import SecretStr

from devtools.factory import get_factory
from rasa_project.settings import Settings
from tests.security.conftest import SECRET, post, real_secrets

NEW_SECRET = "rotated-app-secret-9876543210zyxwvuZYXWVU"


@pytest.fixture
def rotated_sim(run_sim, settings):
    """DingTalk after the app secret was reset in the developer console."""
    factory = get_factory()
    factory = dataclasses.replace(factory, dingtalk={**factory.dingtalk, "app_secret": NEW_SECRET})
    url, app = run_sim(settings, factory=factory)
    settings.dingtalk_openapi_url = url
    settings.dingtalk_app_secret = SecretStr(NEW_SECRET)
    return url, app


async def test_during_a_rotation_both_app_secrets_sign_and_no_other(rotated_sim, make_bot, body, signer, settings):
    settings.dingtalk_app_secret_previous = SecretStr(SECRET)  # callbacks signed before the reset still count
    bot = await make_bot()
    assert (await post(bot, body("pmc0001"), signer.headers(secret=NEW_SECRET))).status_code == 200
    assert (await post(bot, body("pmc0001"), signer.headers(secret=SECRET))).status_code == 200
    wrong = await post(bot, body("pmc0001"), signer.headers(secret="some-other-secret-0123456789"))
    assert wrong.status_code == 401 and wrong.json()["reason"] == "mismatch"
    await bot.channel.wait_idle()
    assert len(bot.received) == 2


async def test_after_the_rotation_the_old_secret_signs_nothing(rotated_sim, make_bot, body, signer):
    bot = await make_bot()
    assert (await post(bot, body("pmc0001"), signer.headers(secret=SECRET))).status_code == 401
    await bot.channel.wait_idle()
    assert bot.received == []


def test_secrets_come_from_a_secrets_directory_and_the_environment_wins(tmp_path, monkeypatch):
    (tmp_path / "DINGK3_K3_PASSWORD").write_text("from-a-file-0123456789\n")
    (tmp_path / "dingk3_rasa_api_token").write_text("token-from-a-file-0123456789")
    monkeypatch.setenv("DINGK3_SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("DINGK3_RASA_API_TOKEN", "token-from-the-environment-0123")
    settings = Settings()
    assert settings.k3_password.get_secret_value() == "from-a-file-0123456789"
    assert settings.rasa_api_token.get_secret_value() == "token-from-the-environment-0123"
    monkeypatch.setenv("DINGK3_SECRETS_DIR", str(tmp_path / "missing"))
    with pytest.raises(ValueError):
        Settings()


def test_production_refuses_every_demo_secret_and_shows_none():
    with pytest.raises(ValueError) as refused:
        Settings(env="production", k3_password="a-real-password-0123456789")
    for name in ("dingtalk_app_secret", "rasa_api_token", "action_server_token", "audit_anchor_key"):
        assert name in str(refused.value)
    assert "k3_password" not in str(refused.value)
    shown = Settings().safe_dict()
    for name in ("rasa_api_token", "action_server_token", "audit_anchor_key"):
        assert shown[name] == "**********"


def test_stream_is_the_production_default_and_http_stays_available():
    secrets = real_secrets()
    assert Settings(env="production", **secrets).dingtalk_mode == "stream"
    assert Settings(env="production", dingtalk_mode="http", **secrets).dingtalk_mode == "http"
    assert Settings(env="demo").dingtalk_mode == "http"
    with pytest.raises(ValueError):
        Settings(dingtalk_mode="webhook")


def test_the_rasa_launcher_hands_the_token_over_or_turns_the_api_off():
    from rasa_project.rasa_server import rasa_argv

    argv = rasa_argv(Settings(), ["--port", "5005"])
    assert argv[:4] == ["rasa", "run", "--port", "5005"]
    assert argv[argv.index("--auth-token") + 1] == Settings().rasa_api_token.get_secret_value()
    assert "--enable-api" not in rasa_argv(Settings(rasa_enable_api=False), [])
    with pytest.raises(ValueError):
        rasa_argv(Settings(rasa_api_token=""), [])


def test_the_action_server_will_not_start_without_a_token():
    from actions.server import create_app

    with pytest.raises(ValueError):
        create_app("")
