"""The production approval path: an interactive-card button press (callbackType HTTP) reaches the
bot through the signed /card route and decides the request, exactly once."""

import json
import re
import time

import httpx
import pytest

from dingtalk_client.signing import sign
from tests.e2e.stack import official_sdk, order_row

pytestmark = pytest.mark.stack


def press(settings, *, user_id: str, decision: str, params: dict, out_track_id: str) -> httpx.Response:
    ts = int(time.time() * 1000)
    body = {
        "type": "actionCallback",
        "outTrackId": out_track_id,
        "corpId": settings.dingtalk_corp_id,
        "userId": user_id,
        "userIdType": 1,
        "spaceType": "IM_ROBOT",
        "spaceId": user_id,
        "extension": "{}",
        "content": json.dumps({"cardPrivateData": {"actionIds": [decision], "params": {"decision": decision, **params}}}),
    }
    headers = {"timestamp": str(ts), "sign": sign(settings.dingtalk_app_secret.get_secret_value(), ts)}
    return httpx.post(f"http://127.0.0.1:{settings.rasa_port}/webhooks/dingtalk/card", json=body, headers=headers)


def test_card_press_approves_once_and_forged_press_is_refused(chat, stack):
    _, settings = stack
    sdk = official_sdk(settings)
    # the reply to this request (a late notice of an earlier request may arrive in the same window)
    held = "\n".join(r.text for r in chat.ask("pmc0002", "MO000124 数量改成 1000", "cidPMC0001", contains="1000")
                     if "1000" in r.text)
    ref = re.search(r"CR-\d{6}", held)
    assert ref, held
    before = float(order_row(sdk, "MO000124")["FQty"])
    params = {"order_no": "MO000124", "change_id": ref.group(0)}

    first = press(settings, user_id="manager0001", decision="approve", params=params, out_track_id="x")
    assert first.status_code == 200
    bad = httpx.post(
        f"http://127.0.0.1:{settings.rasa_port}/webhooks/dingtalk/card",
        json={"outTrackId": "x", "userId": "pmc0002", "content": "{}"},
        headers={"timestamp": "1700000000000", "sign": "forged"},
    )
    assert bad.status_code in (401, 403)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and float(order_row(sdk, "MO000124")["FQty"]) == before:
        time.sleep(0.3)
    assert float(order_row(sdk, "MO000124")["FQty"]) == 1000
    # the same press delivered again (same outTrackId, user, action) is processed once
    again = press(settings, user_id="manager0001", decision="approve", params=params, out_track_id="x")
    assert again.status_code == 200
    assert float(order_row(sdk, "MO000124")["FQty"]) == 1000
