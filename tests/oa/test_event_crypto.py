"""Our §6 implementation (dingtalk_client/event_crypto.py) against DingTalk's reference vectors and
against the simulator's independent implementation (devtools/simulators/dingtalk/event_push.py)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from devtools.simulators.dingtalk.event_push import PushCipher
from dingtalk_client.event_crypto import EventCrypto, EventRefused, SignedPost

VECTORS = json.loads(Path(__file__).with_name("crypto_vectors.json").read_text(encoding="utf-8"))
TOKEN, AES_KEY, APP_KEY = "dingk3demoeventtoken", "ZGluZ2szZGVtb2Flc2tleTAxMjM0NTY3ODlhYmNkZWY", "dingdemoappkey0001"


@pytest.mark.parametrize("name", ["official_readme_vector", "fixture_vector"])
def test_reference_vectors_verify_and_decrypt(name):
    v = VECTORS[name]
    crypto = EventCrypto(v["token"], v["aes_key"], v["owner_key"])
    post = SignedPost(v["msg_signature"], v["timeStamp"], v["nonce"], v["encrypt"])
    assert crypto.open(post) == json.loads(v["plaintext"])  # no window: the vectors are old


def test_our_encryption_reproduces_the_reference_ciphertext():
    v = VECTORS["fixture_vector"]
    crypto = EventCrypto(v["token"], v["aes_key"], v["owner_key"])
    assert crypto.encrypt(v["plaintext"], random16=v["random16"].encode()) == v["encrypt"]


def test_both_implementations_read_each_other_including_chinese():
    ours, theirs = EventCrypto(TOKEN, AES_KEY, APP_KEY), PushCipher(TOKEN, AES_KEY, APP_KEY)
    message = json.dumps({"EventType": "bpms_task_change", "remark": "同意，按计划 Setuju"}, ensure_ascii=False)
    assert theirs.decrypt(ours.encrypt(message)) == (message, APP_KEY)
    encrypt = theirs.encrypt(message)
    post = SignedPost(theirs.sign(TOKEN, "1743472800000", "abc123", encrypt), "1743472800000", "abc123", encrypt)
    assert ours.open(post, now_ms=1743472800000 + 5000, window_s=3600)["remark"] == "同意，按计划 Setuju"
    reply = ours.reply("success")
    assert theirs.sign(TOKEN, reply["timeStamp"], reply["nonce"], reply["encrypt"]) == reply["msg_signature"]
    assert theirs.decrypt(reply["encrypt"]) == ("success", APP_KEY)


def test_padding_is_pkcs7_to_32_bytes_and_key_iv_rule():
    crypto = EventCrypto(TOKEN, AES_KEY, APP_KEY)
    for size in (0, 1, 11, 12, 43, 44):  # 16 + 4 + size + 18 bytes of appKey, padded to a multiple of 32
        raw = base64.b64decode(crypto.encrypt("x" * size))
        assert len(raw) % 32 == 0 and len(raw) >= 16 + 4 + size + len(APP_KEY) + 1
    assert base64.b64decode(AES_KEY + "=")[:16] == PushCipher(TOKEN, AES_KEY, APP_KEY).key[:16]


def test_refusals_name_their_reason():
    theirs = PushCipher(TOKEN, AES_KEY, APP_KEY)
    ours = EventCrypto(TOKEN, AES_KEY, APP_KEY)
    encrypt = theirs.encrypt('{"EventType":"check_url"}')
    good = SignedPost(theirs.sign(TOKEN, "1743472800000", "n1", encrypt), "1743472800000", "n1", encrypt)

    def reason(post: SignedPost, crypto: EventCrypto = ours, **kw) -> str:
        with pytest.raises(EventRefused) as caught:
            crypto.open(post, **kw)
        return caught.value.reason

    assert reason(SignedPost("0" * 40, good.timestamp, good.nonce, encrypt)) == "signature"
    assert reason(good, now_ms=1743472800000 + 2 * 3600 * 1000, window_s=3600) == "stale"
    other_owner = theirs.encrypt('{"EventType":"check_url"}', owner_key="dingotherapp0000")
    assert reason(SignedPost(theirs.sign(TOKEN, "1", "n", other_owner), "1", "n", other_owner)) == "owner"
    wrong_key = theirs.encrypt('{"EventType":"check_url"}', key=bytes(32))
    assert reason(SignedPost(theirs.sign(TOKEN, "1", "n", wrong_key), "1", "n", wrong_key)) == "undecryptable"
    with pytest.raises(EventRefused) as caught:
        SignedPost.from_request({"timestamp": "1", "nonce": "n"}, {"encrypt": encrypt})
    assert caught.value.reason == "malformed"
    # DingTalk's two spellings of the query parameters
    for query in ({"msg_signature": [good.signature], "timestamp": ["1743472800000"], "nonce": ["n1"]},
                  {"signature": good.signature, "timeStamp": "1743472800000", "nonce": "n1"}):
        assert SignedPost.from_request(query, {"encrypt": encrypt}) == good


def test_bad_keys_are_refused_at_configuration():
    with pytest.raises(ValueError):
        EventCrypto(TOKEN, AES_KEY[:-1], APP_KEY)
    with pytest.raises(ValueError):
        EventCrypto(TOKEN, "!" * 43, APP_KEY)
