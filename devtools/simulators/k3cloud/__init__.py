"""Protocol-faithful Kingdee K/3 Cloud WebAPI simulator (FastAPI), spec: shared/specs/k3cloud.md.

Run: ``python -m devtools sim k3 [--host 127.0.0.1] [--port 8801] [--db var/k3sim.db] [--reset]``;
base URL ``http://127.0.0.1:8801/k3cloud/``. Tests: ``create_app(settings, db_path=tmp)`` served
by uvicorn, or in-process through ``httpx.ASGITransport(app, raise_app_exceptions=False)``.

K/3 services (POST, routes matched case-insensitively, named or ``parameters[]`` bodies, ``data``
as object or JSON string): ``/k3cloud/Kingdee.BOS.WebApi.ServicesStub.DynamicFormService.<Op>.common.kdsvc``
with Op in Save, Draft, BatchSave, Submit, Audit, UnAudit, Delete, View, ExecuteBillQuery,
BillQuery, ExcuteOperation, Push; ``AuthService.ValidateUser`` and ``AuthService.LoginByAppSecret``
(set ``kdservice-sessionid``; idle expiry ``k3_sim_session_ttl_s``). Signed-header requests
(official SDK) are verified per spec §1a against the fixture's ``k3_apps`` (timestamp window
``k3_sim_sign_window_s``) by ``auth.py``, the simulator's own code: nothing here imports the
client it stands in for. K/3's state rules: ``rules.py``. Forms: PRD_MO, PRD_MORPT, BD_MATERIAL, ENG_BOM, STK_Inventory,
BD_Department, BD_UNIT, BD_STOCK, BOS_BillType, ORG_Organizations. State persists in SQLite.

Admin API (under ``/k3cloud/_sim/`` and ``/_sim/``):

* ``GET  health``           always on: ``{"status": "ok", "acct_id", "bills": {form: n}, "sessions"}``.

Only when ``settings.k3_sim_faults_enabled`` (refused in production; otherwise 404):

* ``POST reset``            wipe and reseed from the fixture; drops sessions and faults.
* ``POST faults``           add one fault (object) or several (array)::

      {"kind": "latency" | "http_5xx" | "timeout_after_commit" | "session_lost" | "permission_denied",
       "op": "save" | "submit" | "audit" | "executebillquery" | "validateuser" | ... | "*",   (lower case)
       "form_id": "PRD_MO" | "*", "count": 1 (-1 = until cleared),
       "delay_s": 0.0, "status": 503, "mode": "drop" | "delay"}

  latency: sleep ``delay_s`` then answer normally. http_5xx: answer HTTP ``status`` (HTML body),
  nothing executed. session_lost: MsgCode 1 "会话信息已丢失，请重新登录" and the caller's session is
  dropped. permission_denied: MsgCode 2. timeout_after_commit: the operation COMMITS, then
  ``mode=drop`` kills the answer mid-response (headers sent, body never) or ``mode=delay`` answers
  only after ``delay_s`` (past the client timeout). Answers ``{"added": [fault...]}``.
* ``GET  faults``           list (with remaining ``count`` and ``hits``); ``DELETE faults`` clears.
* ``POST sessions/expire``  drop every login session (the next cookie call gets MsgCode 1).
"""

from devtools.simulators.k3cloud.app import create_app

__all__ = ["create_app"]
