"""The simulator's own signed-header check (devtools/simulators/k3cloud/auth.py) against the
spec's test vector (k3cloud.md §1a) and against what the official SDK really sends.

Nothing here uses ``k3_client``: the vector is typed in from the spec, the other side is
``K3CloudApiSdk.BuildHeader`` at a frozen time.
"""

from __future__ import annotations

import pytest
from k3cloud_webapi_sdk.core import webapi_client
from k3cloud_webapi_sdk.main import K3CloudApiSdk
from requests.structures import CaseInsensitiveDict

from devtools.simulators.k3cloud import auth

# -- the spec's vector, verbatim --------------------------------------------------------------
APP_ID = "100001_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef"
APP_SECRET = "0123456789abcdef0123456789abcdef"
TS = "1700000000"
PATH = "/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.Save.common.kdsvc"
CLIENT_SEC = "MCC2JDe0GaXoBuG8dSekaTenWPX6RrOs"
APPDATA = "VEVTVEFDQ1QwMSxkZW1vLDIwNTIsMA=="
API_SIGNATURE = "MDVhYjg1MzU0Y2U5NmE2ZjQ1NjNhZjA5MTAzMDNmMGM1MDk0N2JiMTY4ZWExZTkyYjQ2NWRhNmNmMWI1YWNmOQ=="
KD_SIGNATURE = "ZThlYmFmMDMxYjNhZDQyNmRmOTdiZTQxMWU5ZmFjZmEyN2JiM2FlMjQyNmFkOTliYzUzZDFkOWUyYTM3NmI2Zg=="
SERVER = "http://127.0.0.1:8801/k3cloud/"


def spec_headers() -> dict:
    return {
        "X-Api-ClientID": "100001", "X-Api-Auth-Version": "2.0", "x-api-timestamp": TS, "x-api-nonce": TS,
        "x-api-signheaders": "x-api-timestamp,x-api-nonce", "X-Api-Signature": API_SIGNATURE,
        "X-Kd-Appkey": APP_ID, "X-Kd-Appdata": APPDATA, "X-Kd-Signature": KD_SIGNATURE,
    }  # fmt: skip


def verify(headers: dict, *, secrets=None, now=1700000000, path=PATH, window_s=300) -> auth.Caller:
    return auth.verify(CaseInsensitiveDict(headers), path=path, app_secrets=secrets or {APP_ID: APP_SECRET},
                       now=now, window_s=window_s)  # fmt: skip


def sdk_headers(monkeypatch, *, app_id=APP_ID, app_secret=APP_SECRET, acct="TESTACCT01", user="demo",
                at=1700000000.4, path=PATH) -> dict:  # fmt: skip
    """The headers the untouched official SDK builds for a POST to ``path`` at time ``at``."""
    monkeypatch.setattr(webapi_client.time, "time", lambda: at)
    sdk = K3CloudApiSdk(SERVER)
    sdk.InitConfig(acct, user, app_id, app_secret, SERVER)
    sent = sdk.BuildHeader("http://127.0.0.1:8801" + path)
    return {k: v for k, v in sent.items() if k.lower().startswith("x-")}


def test_each_piece_of_the_spec_vector_is_reproduced():
    assert auth.client_id_and_secret(APP_ID) == ("100001", CLIENT_SEC)
    assert auth.expected_api_signature(PATH, TS, TS, CLIENT_SEC) == API_SIGNATURE
    assert auth.expected_kd_signature(APP_ID, "TESTACCT01,demo,2052,0", APP_SECRET) == KD_SIGNATURE
    assert auth.string_to_sign(PATH, TS, TS) == (
        "POST\n%2Fk3cloud%2FKingdee.BOS.WebApi.ServicesStub.DynamicFormService.Save.common.kdsvc\n\n"
        "x-api-nonce:1700000000\nx-api-timestamp:1700000000\n"
    )


def test_the_spec_vector_verifies_and_names_the_caller():
    assert verify(spec_headers()) == auth.Caller(APP_ID, "TESTACCT01", "demo", 2052, "0")


def test_the_official_sdk_sends_exactly_the_spec_vector(monkeypatch):
    assert sdk_headers(monkeypatch) == spec_headers()


@pytest.mark.parametrize("op", ["Save", "View", "ExecuteBillQuery", "ExcuteOperation", "Push"])
def test_what_the_official_sdk_sends_for_the_fixture_app_is_accepted(monkeypatch, factory, op):
    app = factory.k3_apps[0]
    path = f"/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.{op}.common.kdsvc"
    sent = sdk_headers(monkeypatch, app_id=app["app_id"], app_secret=app["app_secret"], acct=factory.acct_id,
                       user=app["user_name"], at=1712345678.9, path=path)  # fmt: skip
    caller = verify(sent, secrets={app["app_id"]: app["app_secret"]}, now=1712345678.9 + 120, path=path)
    assert (caller.acct_id, caller.user_name, caller.lcid) == (factory.acct_id, app["user_name"], 2052)


def test_an_app_id_the_sdk_cannot_split_signs_with_an_empty_client_id(monkeypatch):
    """The SDK uses the app id only when ``split('_')`` gives two parts; otherwise it sends an
    empty X-Api-ClientID and signs with an empty key. The simulator derives the same."""
    odd = "100001_AB_CDEFGHIJKLMNOPQRSTUVWXYZabcd"
    sent = sdk_headers(monkeypatch, app_id=odd)
    assert sent["X-Api-ClientID"] == "" and auth.client_id_and_secret(odd) == ("", "")
    assert verify(sent, secrets={odd: APP_SECRET}).app_id == odd


@pytest.mark.parametrize(
    "header,value",
    [
        ("X-Api-Signature", API_SIGNATURE.replace("M", "N", 1)),
        ("X-Kd-Signature", KD_SIGNATURE.replace("Z", "Y", 1)),
        ("X-Kd-Appdata", "VEVTVEFDQ1QwMSxhZG1pbmlzdHJhdG9yLDIwNTIsMA=="),  # TESTACCT01,administrator,2052,0
        ("X-Kd-Appdata", "not base64!"),
        ("X-Api-ClientID", "100002"),
        ("X-Api-Auth-Version", "1.0"),
        ("x-api-timestamp", "1700000001"),
        ("x-api-nonce", "1700000001"),
        ("x-api-signheaders", "x-api-timestamp"),
        ("X-Kd-Appkey", "100001_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdeg"),
    ],
)
def test_any_changed_header_is_refused(header, value):
    headers = spec_headers()
    headers[header] = value
    with pytest.raises(auth.Refused):
        verify(headers)


@pytest.mark.parametrize("header", sorted(spec_headers()))
def test_any_missing_header_is_refused(header):
    headers = spec_headers()
    del headers[header]
    with pytest.raises(auth.Refused):
        verify(headers)


@pytest.mark.parametrize(
    "change",
    [
        {"secrets": {APP_ID: "another-secret-another-secret-00"}},
        {"secrets": {"999999_ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef": APP_SECRET}},
        {"now": 1700000000 + 301},
        {"now": 1700000000 - 301},
        {"path": PATH.replace("Save", "Delete")},
        {"path": PATH.lower()},
    ],
    ids=["wrong-app-secret", "unknown-app", "late", "early", "other-operation", "other-path-casing"],
)
def test_a_foreign_or_replayed_request_is_refused(change):
    with pytest.raises(auth.Refused):
        verify(spec_headers(), **change)


def test_the_window_is_the_configured_one():
    assert verify(spec_headers(), now=1700000000 + 30, window_s=30).user_name == "demo"
    with pytest.raises(auth.Refused):
        verify(spec_headers(), now=1700000000 + 31, window_s=30)
