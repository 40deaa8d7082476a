"""The DingTalk simulator's OAuth 2.0 sign-in, proven with the official SDK (oauth2_1_0.GetUserToken,
contact_1_0.GetUser "me"), and our own client's mapping of the person to their staff id."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
import pytest

from dingtalk_client.login import DingTalkLogin, DingTalkLoginConfig, DingTalkLoginError
from rasa_project.settings import PROJECT_ROOT
from tests.requirements import need

OA_PYTHON = PROJECT_ROOT / ".venv-oa" / "bin" / "python"
SDK = Path(__file__).with_name("sdk_login_client.py")

pytestmark = pytest.mark.slapd


def auth_code(sim: str, settings, staff_id: str) -> str:
    params = {"redirect_uri": "http://127.0.0.1:1/cb", "response_type": "code", "client_id": settings.dingtalk_app_key,
              "scope": "openid", "state": "s1", "prompt": "consent"}
    page = httpx.get(f"{sim}/oauth2/auth", params=params)
    assert page.status_code == 200 and f'value="{staff_id}"' in page.text
    back = httpx.post(f"{sim}/oauth2/auth", data={**params, "account": staff_id}, follow_redirects=False)
    assert back.status_code == 302
    query = dict(httpx.QueryParams(back.headers["location"].split("?", 1)[1]))
    assert query["state"] == "s1"
    return query["authCode"]


def test_official_sdk_exchanges_the_code_and_reads_me(web_settings):
    need("oa_sdk")
    settings = web_settings
    sim = f"http://127.0.0.1:{settings.dingtalk_sim_port}"
    code = auth_code(sim, settings, "manager0001")
    run = subprocess.run(
        [str(OA_PYTHON), str(SDK), f"127.0.0.1:{settings.dingtalk_sim_port}", settings.dingtalk_app_key,
         settings.dingtalk_app_secret.get_secret_value(), code], check=False, capture_output=True, text=True, timeout=120)
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    assert answer["token"]["accessToken"] and answer["token"]["expireIn"] == 7200
    assert answer["me"]["nick"] == "王丽" and answer["me"]["unionId"]
    # the same code a second time: DingTalk's error, through the SDK
    again = subprocess.run(
        [str(OA_PYTHON), str(SDK), f"127.0.0.1:{settings.dingtalk_sim_port}", settings.dingtalk_app_key,
         settings.dingtalk_app_secret.get_secret_value(), code], check=False, capture_output=True, text=True, timeout=120)
    assert "error" in json.loads(again.stdout.strip().splitlines()[-1])


def test_our_login_client_maps_the_person_to_their_staff_id(web_settings):
    settings = web_settings
    sim = f"http://127.0.0.1:{settings.dingtalk_sim_port}"
    login = DingTalkLogin(DingTalkLoginConfig(settings.dingtalk_app_key, settings.dingtalk_app_secret.get_secret_value(),
                                              login_url=sim, openapi_url=sim, oapi_url=sim))
    app_token = httpx.post(f"{sim}/v1.0/oauth2/accessToken", json={
        "appKey": settings.dingtalk_app_key, "appSecret": settings.dingtalk_app_secret.get_secret_value()}).json()["accessToken"]
    user = login.user(auth_code(sim, settings, "prod0002"), app_token)
    assert user.staff_id == "prod0002" and user.nick == "Budi Santoso"
    with pytest.raises(DingTalkLoginError) as used:
        login.user("not-a-code", app_token)
    assert used.value.reason == "invalid_code"
    wrong = DingTalkLogin(DingTalkLoginConfig(settings.dingtalk_app_key, "wrong-secret", openapi_url=sim, oapi_url=sim))
    with pytest.raises(DingTalkLoginError):
        wrong.user(auth_code(sim, settings, "prod0002"), app_token)
    assert "client_id=" + settings.dingtalk_app_key in login.authorize_url("http://x/cb", "st")
