"""Drive the official alibabacloud-dingtalk SDK's sign-in calls, unchanged; run with .venv-oa/bin/python.

usage: sdk_login_client.py <host:port> <client id> <client secret> <auth code>
Prints one JSON line: {"token": GetUserToken body, "me": GetUser("me") body} or {"error": {...}}.
"""

import json
import sys

from alibabacloud_dingtalk.contact_1_0 import client as contact_client
from alibabacloud_dingtalk.contact_1_0 import models as contact_models
from alibabacloud_dingtalk.oauth2_1_0 import client as oauth_client
from alibabacloud_dingtalk.oauth2_1_0 import models as oauth_models
from alibabacloud_tea_openapi import models as open_api_models
from alibabacloud_tea_util import models as util_models
from Tea.exceptions import TeaException

ENDPOINT, CLIENT_ID, CLIENT_SECRET, CODE = sys.argv[1:5]
config = open_api_models.Config(protocol="http", region_id="central", endpoint=ENDPOINT)
runtime = util_models.RuntimeOptions(read_timeout=10000, connect_timeout=5000)
try:
    token = oauth_client.Client(config).get_user_token(oauth_models.GetUserTokenRequest(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=CODE, grant_type="authorization_code"))
    headers = contact_models.GetUserHeaders(x_acs_dingtalk_access_token=token.body.access_token)
    me = contact_client.Client(config).get_user_with_options("me", headers, runtime)
    print(json.dumps({"token": token.body.to_map(), "me": me.body.to_map()}, ensure_ascii=False))
except TeaException as exc:
    print(json.dumps({"error": {"code": exc.code, "message": exc.message,
                                "status": (exc.data or {}).get("statusCode")}}, ensure_ascii=False))
