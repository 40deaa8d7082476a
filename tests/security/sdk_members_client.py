"""Ask the official alibabacloud-dingtalk SDK (im_1_0, unchanged; run with .venv-oa/bin/python)
whether users are members of groups: the simulator's membership route must satisfy it.

usage: sdk_members_client.py <host:port> <app key> <app secret> <conversation:user>...
prints one JSON line per pair: the SDK's response body ``to_map()`` or its error.
"""

import json
import sys

from alibabacloud_dingtalk.im_1_0 import client as im_client
from alibabacloud_dingtalk.im_1_0 import models as im
from alibabacloud_dingtalk.oauth2_1_0 import client as oauth_client
from alibabacloud_dingtalk.oauth2_1_0 import models as oauth_models
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_util import models as util_models
from Tea.exceptions import TeaException

ENDPOINT, APP_KEY, APP_SECRET, *PAIRS = sys.argv[1:]
config = open_api_models.Config(protocol="http", region_id="central", endpoint=ENDPOINT)
runtime = util_models.RuntimeOptions(read_timeout=10000, connect_timeout=5000)
token = oauth_client.Client(config).get_access_token(
    oauth_models.GetAccessTokenRequest(app_key=APP_KEY, app_secret=APP_SECRET)).body.access_token
client = im_client.Client(config)
for pair in PAIRS:
    conversation, _, user = pair.partition(":")
    headers = im.CheckUserIsGroupMemberHeaders(x_acs_dingtalk_access_token=token)
    try:
        response = client.check_user_is_group_member_with_options(
            im.CheckUserIsGroupMemberRequest(open_conversation_id=conversation, user_id=user), headers, runtime)
        answer = {"ok": response.body.to_map(), "status": response.status_code}
    except TeaException as exc:
        answer = {"error": {"code": exc.code, "status": (exc.data or {}).get("statusCode")}}
    print(json.dumps(answer, ensure_ascii=False), flush=True)
