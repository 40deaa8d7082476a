"""Signed-header computation (ours) against the spec's test vector, the official SDK, and the K/3
simulator's independent verifier (devtools/simulators/k3cloud/auth.py): the client's headers must be
accepted by code that shares nothing with it, and refused when anything about them is wrong."""

from __future__ import annotations

import pytest
from k3cloud_webapi_sdk.core import webapi_client
from k3cloud_webapi_sdk.main import K3CloudApiSdk
from requests.structures import CaseInsensitiveDict

from devtools.simulators.k3cloud.auth import Refused, verify
from k3_client.signing import AppIdError, decode_app_secret, signed_headers

VECTOR_APP = "100001_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
VECTOR_SECRET = "0123456789abcdef0123456789abcdef"
SAVE_PATH = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.Save.common.kdsvc"


def vector_headers(**overrides) -> dict:
    args = {"path": SAVE_PATH, "app_id": VECTOR_APP, "app_secret": VECTOR_SECRET, "acct_id": "TESTACCT01",
            "user_name": "demo", "lcid": 2052, "org_num": 0, "timestamp": 1700000000}  # fmt: skip
    args.update(overrides)
    return signed_headers(**args)


def test_spec_vector_is_reproduced():
    headers = vector_headers()
    assert decode_app_secret("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef") == "MCC2JDe0GaXoBuG8dSekaTenWPX6RrOs"
    assert headers["X-Kd-Appdata"] == "VEVTVEFDQ1QwMSxkZW1vLDIwNTIsMA=="
    assert headers["X-Api-Signature"] == (
        "MDVhYjg1MzU0Y2U5NmE2ZjQ1NjNhZjA5MTAzMDNmMGM1MDk0N2JiMTY4ZWExZTkyYjQ2NWRhNmNmMWI1YWNmOQ=="
    )
    assert headers["X-Kd-Signature"] == (
        "ZThlYmFmMDMxYjNhZDQyNmRmOTdiZTQxMWU5ZmFjZmEyN2JiM2FlMjQyNmFkOTliYzUzZDFkOWUyYTM3NmI2Zg=="
    )
    assert headers["X-Api-ClientID"] == "100001"
    assert headers["x-api-nonce"] == headers["x-api-timestamp"] == "1700000000"


def test_short_secret_part_gives_empty_client_secret():
    assert decode_app_secret("tooShort") == ""


def test_our_headers_equal_the_official_sdk_headers(monkeypatch, factory):
    app = factory.k3_apps[0]
    url = "http://127.0.0.1:8801/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.View.common.kdsvc"
    sdk = K3CloudApiSdk("http://127.0.0.1:8801/k3cloud/")
    sdk.InitConfig(factory.acct_id, app["user_name"], app["app_id"], app["app_secret"], "http://127.0.0.1:8801/k3cloud/")
    monkeypatch.setattr(webapi_client.time, "time", lambda: 1712345678.9)
    theirs = sdk.BuildHeader(url)
    ours = signed_headers(path=url[url.index("/", 10):], app_id=app["app_id"], app_secret=app["app_secret"],
                          acct_id=factory.acct_id, user_name=app["user_name"], lcid=2052, org_num=0,
                          timestamp=1712345678)  # fmt: skip
    for name, value in ours.items():
        assert theirs[name] == value, name


def verify_ours(headers: dict, *, secrets=None, now=1700000000, path=SAVE_PATH):
    return verify(CaseInsensitiveDict(headers), path=path,
                  app_secrets=secrets or {VECTOR_APP: VECTOR_SECRET}, now=now, window_s=300)  # fmt: skip


def test_vector_verifies_and_names_the_identity():
    ident = verify_ours(vector_headers())
    assert (ident.acct_id, ident.user_name, ident.lcid, ident.org_num) == ("TESTACCT01", "demo", 2052, "0")


@pytest.mark.parametrize(
    "change",
    [
        {"secrets": {VECTOR_APP: "wrong-secret-wrong-secret-wrong!!"}},
        {"secrets": {"999_other": VECTOR_SECRET}},
        {"now": 1700000000 + 301},
        {"path": SAVE_PATH.replace("Save", "Delete")},
    ],
    ids=["wrong-app-secret", "unknown-app", "stale-timestamp", "other-path"],
)
def test_tampered_or_foreign_requests_are_refused(change):
    with pytest.raises(Refused):
        verify_ours(vector_headers(), **change)


def test_tampered_appdata_is_refused():
    headers = vector_headers()
    headers["X-Kd-Appdata"] = vector_headers(user_name="administrator")["X-Kd-Appdata"]
    with pytest.raises(Refused):
        verify_ours(headers)


@pytest.mark.parametrize("app_id", ["100001", "100001_ABC_DEF", "_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"])
def test_an_app_id_the_sdk_would_not_sign_with_is_refused_before_any_request(app_id):
    # the official SDK splits the app id on "_" and needs exactly two parts; signing anything else
    # would send headers no K/3 accepts, so the client says what is wrong with its configuration
    with pytest.raises(AppIdError):
        vector_headers(app_id=app_id)
