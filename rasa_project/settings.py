"""One settings object for every URL, port, credential and the business-clock anchor.

Read once (``get_settings()``), from environment variables prefixed ``DINGK3_``; nothing
else in the project reads ``os.environ``. Defaults are the embedded demo configuration:
SQLite, in-process stores, the simulators on loopback and the demo credentials of
data/demo_factory.yaml (public demo values). Production sets ``DINGK3_ENV=production``
and real URLs/secrets.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from pydantic import BaseSettings, SecretStr, root_validator, validator
from pydantic.env_settings import SecretsSettingsSource, SettingsError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    env: str = "demo"  # demo | test | production
    project_root: Path = PROJECT_ROOT
    data_dir: Path = PROJECT_ROOT / "data"
    var_dir: Path = PROJECT_ROOT / "var"  # runtime state: SQLite files, slapd, logs
    fixture_path: Path = PROJECT_ROOT / "data" / "demo_factory.yaml"
    mapping_dir: Path = PROJECT_ROOT / "data" / "mapping"
    model_dir: Path = PROJECT_ROOT / "models"
    log_level: str = "INFO"
    log_format: str = "text"  # text (a request id appended as [rid=…]) or json (one object per line, for log shippers)

    # Business clock: relative dates ("明天", "besok", "next Friday") resolve against it.
    timezone: str = "Asia/Shanghai"
    clock_anchor: datetime | None = None  # e.g. 2025-04-01T09:00:00+08:00; None = real clock

    # Kingdee K/3 Cloud WebAPI
    k3_base_url: str = "http://127.0.0.1:8801/k3cloud/"
    k3_acct_id: str = "65f0a1b2c3d4e5"
    k3_login_mode: str = "signed"  # signed | password | appsecret
    k3_user: str = "demo.bot"
    k3_password: SecretStr = SecretStr("demo-password")
    k3_app_id: str = "312345_ZGluZ2szLWRlbW8tY2xpZW50LXNlYyEh"
    k3_app_secret: SecretStr = SecretStr("dingk3demoappsecret0123456789abc")
    k3_lcid: int = 2052
    k3_org_number: str = "100"
    k3_timeout_s: float = 10.0
    k3_retries: int = 2

    # K/3 simulator (never started in production)
    k3_sim_host: str = "127.0.0.1"
    k3_sim_port: int = 8801
    k3_sim_db: Path | None = None  # default var/k3sim.db
    k3_sim_session_ttl_s: int = 1800
    k3_sim_sign_window_s: int = 300  # accepted x-api-timestamp skew (spec: unconfirmed, +-5 min)
    k3_sim_faults_enabled: bool = False  # fault-injection admin endpoint; refused in production

    # DingTalk
    dingtalk_mode: str | None = None  # http | stream; default by env: stream in production, http otherwise
    dingtalk_app_key: str = "dingdemoappkey0001"
    dingtalk_app_secret: SecretStr = SecretStr("demo-app-secret-0123456789abcdefABCDEF")
    dingtalk_robot_code: str = "dingdemoappkey0001"
    dingtalk_corp_id: str = "dingdemocorp0001"
    dingtalk_openapi_url: str = "http://127.0.0.1:8802"  # production: https://api.dingtalk.com
    dingtalk_max_body_bytes: int = 1_000_000
    dingtalk_sign_window_s: int = 3600
    dingtalk_rate_per_minute: int = 20  # the bot paces its sends per conversation to this
    dingtalk_sim_rate_per_minute: int = 20  # the simulator throttles (130101) beyond this, as DingTalk does
    dingtalk_pmc_group: str = "cidPMC0001"
    dingtalk_production_group: str = "cidPROD0001"
    dingtalk_sim_host: str = "127.0.0.1"
    dingtalk_sim_port: int = 8802
    dingtalk_bot_webhook_url: str = "http://127.0.0.1:5005/webhooks/dingtalk/webhook"
    dingtalk_robot_name: str = "K3助手"  # the robot's display name; "@K3助手" is stripped from text
    dedupe_ttl_s: int = 86400
    # An accepted message's turn stays in the dedupe store until it is done (connectors/dedupe.py):
    turn_lease_s: float = 30.0  # a turn whose process stopped renewing its lease this long ago is run again by another channel
    turn_sweep_s: float = 5.0  # how often each channel looks for such turns
    turn_max_reruns: int = 2  # a turn whose process died this many times more is given up (logged), not run again
    # The callback ingress (connectors/ingress.py, issue 18): HTTP-mode robot and card callbacks are
    # verified, recorded and answered by a small process outside Rasa, which then hands the admitted
    # message to a Rasa server over loopback HTTP (the turn runs there under its lease).
    ingress_enabled: bool = True  # the demo stack and prod-local start the ingress and point DingTalk's HTTP callbacks at it; Rasa's hand-off route takes turns only when true
    ingress_host: str = "127.0.0.1"  # the ingress's listen address
    ingress_port: int = 5010  # the ingress's port: DingTalk's callback URL is http(s)://<ingress>/webhooks/dingtalk/webhook
    ingress_secret: SecretStr = SecretStr("demo-ingress-secret-0123456789abcdef")  # the ingress presents it on Rasa's internal hand-off route (production refuses the demo value)
    ingress_rasa_urls: list[str] = []  # Rasa servers the ingress hands messages to (the next one when one refuses the connection); default http://rasa_host:rasa_port
    ingress_handoff_timeout_s: float = 5.0  # a hand-off Rasa did not answer within this is left to its lease (the sweeper runs it)
    ingress_nice: int = -5  # the ingress's CPU priority (nice; below 0 needs root or CAP_SYS_NICE, else it stays at 0): on a shared host callbacks are answered before Rasa's work
    # DingTalk OA approval (审批) and the encrypted HTTP event subscription (spec §6, §8); the demo
    # values are the fixture's (data/demo_factory.yaml, dingtalk.*).
    dingtalk_approval_process_code: str = "PROC-DINGK3-MO-0001"
    dingtalk_event_token: str = "dingk3demoeventtoken"
    dingtalk_event_aes_key: SecretStr = SecretStr("ZGluZ2szZGVtb2Flc2tleTAxMjM0NTY3ODlhYmNkZWY")
    dingtalk_event_window_s: int = 3600  # accepted |now - timeStamp| of an event post (DingTalk: unstated)
    oa_inbox_lease_s: int = 60  # a claimed inbox event returns to the queue if not done within this
    # New orders through OA approval (issue 14): which new orders wait for a manager. "all" (demo
    # default: every new order), "none" (audited at once, as before). Under "all", an order of at most
    # new_order_exempt_max_qty pieces with no risk finding is exempt: audited at once, and it says so.
    new_order_approval: str = "all"
    new_order_exempt_max_qty: float = 0.0  # under "all": at most this many pieces and no risk = audited at once
    new_order_release_on_agree: bool = False  # after the audit, also release (ToRelease) to the shop floor
    # Held (risky) changes: "cards" (robot cards, approval_card below) or "oa" (the same OA approval
    # as new orders, so a manager has one to-do list; the card in the group links to the instance)
    approval_channel: str = "cards"
    # where the approval chain goes when the requester is the only manager: LDAP group DNs, in order
    approval_escalation_groups: list[str] = ["cn=plant_directors,ou=groups,dc=demo-factory,dc=local"]
    # the link a card gives to an OA instance; {instance_id} and {corp_id} are filled in. The demo
    # stack points it at the simulator's phone page.
    oa_instance_url: str = ("https://aflow.dingtalk.com/dingtalk/mobile/homepage.htm?corpid={corp_id}"
                            "&procInstId={instance_id}&dinghash=approval#approval")
    oa_poll_after_s: int = 300  # a running instance not heard of for this long is read back (missed events)

    # LDAP
    ldap_url: str = "ldap://127.0.0.1:3890"
    ldap_bind_dn: str = "cn=admin,dc=demo-factory,dc=local"
    ldap_bind_password: SecretStr = SecretStr("demo-ldap-admin")
    ldap_base_dn: str = "dc=demo-factory,dc=local"
    ldap_staff_id_attribute: str = "employeeNumber"
    ldap_group_pmc: str = "cn=pmc,ou=groups,dc=demo-factory,dc=local"
    ldap_group_production: str = "cn=production,ou=groups,dc=demo-factory,dc=local"
    ldap_group_managers: str = "cn=managers,ou=groups,dc=demo-factory,dc=local"
    ldap_group_trainers: str = "cn=trainers,ou=groups,dc=demo-factory,dc=local"  # the trainer page (issue 19); managers are not trainers by default
    ldap_work_center_attribute: str = "departmentNumber"  # a person's work centers (web dashboard scope)
    ldap_use_tls: bool = False
    ldap_timeout_s: float = 3.0
    authz_cache_ttl_s: int = 60

    # Storage: SQLite + in-process stores by default; Postgres/Redis in production.
    database_url: str | None = None  # default sqlite:///var/dingk3.db
    redis_url: str | None = None  # e.g. redis://127.0.0.1:6379/0 -> dedupe store and Rasa lock store in Redis
    # Rasa's SQL tracker store (endpoints.production.yml); default: database_url when it is PostgreSQL
    tracker_database_url: str | None = None
    lock_lifetime_s: float = 60.0  # a conversation's Rasa lock expires this long after its holder stops renewing
    lock_max_wait_s: float = 120.0  # a turn waiting longer than this for its conversation's lock fails (LockError)
    store_outage_s: float = 30.0  # the tracker and lock stores wait this long for PostgreSQL/Redis to come back before a turn fails
    production_allow_loopback: bool = False  # production opt-out: K/3, DingTalk, LDAP on 127.0.0.1 (sidecar, tunnel)

    # Rasa
    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_host: str = "127.0.0.1"
    action_port: int = 5055
    rasa_metrics_port: int | None = None  # a Rasa server's Prometheus metrics (lock waits, lost leases) here; unset = off
    worker_metrics_port: int | None = None  # `dingk3 worker` serves Prometheus /metrics (stages, K/3, outbox) here; unset = off
    worker_metrics_host: str = "127.0.0.1"  # the worker's metrics listen address (0.0.0.0 in a pod)
    action_url: str | None = None  # where Rasa calls the action server; default http://action_host:action_port/webhook
    action_call_retries: int = 2  # Rasa's action call tried again this often when the action server is unreachable (502/503/504, refused)
    rasa_graph_threads: int = 1  # threads running Rasa's model graph (NLU, policies) off the event loop; 0 = on it (Rasa's own way)
    action_server_threads: int = 64  # the action server's worker threads for blocking use cases (a K/3 wait holds one); 0 = asyncio's default

    # Business rules
    max_order_qty: int = 100_000
    report_tolerance_pct: float = 0.0  # over-report allowed beyond the order quantity
    correction_window_s: int = 1800
    approval_remind_after_s: int = 3600
    approval_expire_after_s: int = 86400
    # Approval cards to managers: "interactive" (createAndDeliver cards whose presses come back as
    # card callbacks; after a decision every copy is updated: buttons gone, who decided and when) or
    # "action_card" (dtmd:// buttons that send chat text; works in every client, but a sent action
    # card cannot be changed, so its buttons stay after the decision - a later press is told who decided).
    approval_card: str = "interactive"
    approval_worker_interval_s: float = 30.0  # reminders, expiry, resume, outbox retry; 0 = no thread
    notify_group_lang: str = "zh"  # language of notices posted to the PMC / production groups
    notify_retry_max_s: int = 600  # outbox backoff cap for a DingTalk send that failed
    # Delay risk (issue 15; docs/PLANNING.md): the worker re-evaluates after every output report and
    # each time the business clock enters a new slot of risk_check_interval_min; a worsened order
    # is announced once in the PMC group; risk_digest_time (business clock, "HH:MM"; "" = none)
    # posts the daily list of at-risk and late orders.
    risk_warnings_enabled: bool = True
    risk_check_interval_min: int = 60  # delay risk: the worker re-evaluates once per this many business-clock minutes
    risk_digest_time: str = "08:30"  # delay risk: the daily digest of at-risk and late orders, business-clock HH:MM
    risk_history_days: int = 60  # finished orders this recent give the track record (priors)

    # Security (issue 20; docs/SECURITY.md). Secrets come from DINGK3_* variables or, for a
    # secrets_dir (DINGK3_SECRETS_DIR), from one file per setting named like its variable
    # (e.g. <dir>/DINGK3_K3_PASSWORD); a variable wins over a file. Production refuses every
    # demo default of a SecretStr.
    secrets_dir: Path | None = None
    dingtalk_app_secret_previous: SecretStr | None = None  # also accepted on callbacks while rotating
    # sessionWebhook origins replies may go to: "scheme://host[:port]"; port "*" = any port. None =
    # by env: DingTalk's own host in production; the simulator's origin and http://127.0.0.1 (any port,
    # for test harnesses' webhook servers) otherwise.
    dingtalk_reply_origins: list[str] | None = None
    dingtalk_verify_speakers: bool = True  # cross-check senderStaffId with the conversation (OpenAPI)
    dingtalk_member_cache_ttl_s: int = 300  # a confirmed membership is trusted this long
    dingtalk_nonmember_cache_ttl_s: int = 10  # a refusal is not re-asked of DingTalk for this long
    dingtalk_sender_rate_per_minute: int = 30  # token bucket per sender: refill per minute ...
    dingtalk_sender_burst: int = 15  # ... and capacity
    dingtalk_conversation_rate_per_minute: int = 120
    dingtalk_conversation_burst: int = 40
    dingtalk_max_text_chars: int = 2000  # longer messages are answered with a catalog sentence, not read
    rasa_enable_api: bool = True  # Rasa's HTTP API, always behind rasa_api_token
    rasa_api_token: SecretStr = SecretStr("demo-rasa-api-token-0123456789")
    action_server_token: SecretStr = SecretStr("demo-action-server-token-0123456789")
    audit_anchor_key: SecretStr = SecretStr("demo-audit-anchor-key-0123456789")  # HMAC key of anchors
    audit_anchor_path: Path | None = None  # append-only JSON lines; default var_dir/audit/anchors.jsonl
    audit_anchor_interval_s: float = 300.0  # the worker exports the chain head this often; 0 = never
    audit_anchor_group: str | None = None  # also post each anchor to this DingTalk group
    review_min_confidence: float = 0.6  # trainer inbox: messages understood with less are worth a look
    review_window_days: int = 30  # trainer inbox: how far back it looks
    # Rasa servers a retrained model is rolled out to (PUT /model); default: this box's rasa_host:rasa_port
    review_rasa_urls: list[str] = []

    # Web dashboard (issue 16): `dingk3 web`, started by `dingk3 run` and `make demo`.
    web_host: str = "127.0.0.1"
    web_port: int = 8803  # the dashboard's port (http://127.0.0.1:8803/)
    web_base_url: str | None = None  # links in chat cards/notices; default http://web_host:web_port
    web_session_key: SecretStr = SecretStr("demo-web-session-key-0123456789abcdef")  # signs the dashboard's session cookies (production refuses the demo key)
    web_session_ttl_s: int = 8 * 3600  # a dashboard session expires after this many seconds
    web_cookie_secure: bool = False  # production behind https: true
    web_login_delay_after: int = 3  # wrong passwords before each further try is slowed down
    web_login_lockout_after: int = 6  # wrong passwords (per user name) that lock it ...
    web_login_lockout_s: int = 900  # ... for this long
    web_refresh_s: float = 1.0  # how often the dashboard looks for news (audit trail) for live pages
    web_cache_ttl_s: float = 60.0  # K/3 read model is re-read at least this often
    web_page_size: int = 50  # orders per page on the dashboard's orders view
    dingtalk_login_url: str | None = None  # DingTalk's sign-in page; default: dingtalk_openapi_url (simulator)
    dingtalk_oapi_url: str | None = None  # the old-style API (topapi); default: dingtalk_openapi_url

    class Config:
        env_prefix = "DINGK3_"

        @classmethod
        def customise_sources(cls, init_settings, env_settings, file_secret_settings):
            def secrets_files(settings: BaseSettings) -> dict:
                directory = init_settings(settings).get("secrets_dir") or env_settings(settings).get("secrets_dir")
                if not directory:
                    return {}
                if not Path(directory).is_dir():
                    raise SettingsError(f"secrets_dir {directory} is not a directory")
                return SecretsSettingsSource(directory)(settings)

            return init_settings, env_settings, secrets_files

    @validator("dingtalk_mode", always=True)
    def _mode_by_env(cls, value, values):
        value = value or ("stream" if values.get("env") == "production" else "http")
        if value not in ("http", "stream"):
            raise ValueError("dingtalk_mode must be http or stream")
        return value

    @validator("dingtalk_reply_origins", always=True)
    def _reply_origins_by_env(cls, value, values):
        if value is None:
            if values.get("env") == "production":
                return ["https://oapi.dingtalk.com"]
            return [f"http://{values.get('dingtalk_sim_host')}:{values.get('dingtalk_sim_port')}", "http://127.0.0.1:*"]
        if values.get("env") == "production" and any(o.endswith(":*") or not o.startswith("https://") for o in value):
            raise ValueError("production reply origins must be https and name their port")
        return value

    @root_validator(skip_on_failure=True)
    def _no_demo_secrets_in_production(cls, values):
        if values.get("env") == "production":
            demo = [name for name, field in cls.__fields__.items()
                    if isinstance(field.default, SecretStr) and values.get(name) == field.default]
            if demo:
                raise ValueError(f"production needs real secrets, not the demo defaults: {', '.join(sorted(demo))}")
        return values

    @validator("k3_sim_faults_enabled")
    def _no_faults_in_production(cls, value, values):
        if value and values.get("env") == "production":
            raise ValueError("fault injection cannot be enabled in production")
        return value

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'dingk3.db'}"

    @property
    def tracker_url(self) -> str | None:
        """Rasa's tracker database when it is shared (PostgreSQL); None = the SQLite file in var_dir."""
        url = self.tracker_database_url or self.database_url
        return url if url and not url.lower().startswith("sqlite") else None

    @property
    def action_endpoint_url(self) -> str:
        return self.action_url or f"http://{self.action_host}:{self.action_port}/webhook"

    @property
    def web_url(self) -> str:
        return (self.web_base_url or f"http://{self.web_host}:{self.web_port}").rstrip("/")

    @property
    def k3_sim_db_path(self) -> Path:
        return self.k3_sim_db or self.var_dir / "k3sim.db"

    @property
    def audit_anchor_file(self) -> Path:
        return self.audit_anchor_path or self.var_dir / "audit" / "anchors.jsonl"

    @property
    def dingtalk_callback_secrets(self) -> tuple[str, ...]:
        """The app secrets a callback signature may be made with: current first, then the previous one."""
        previous = self.dingtalk_app_secret_previous
        return tuple(s.get_secret_value() for s in (self.dingtalk_app_secret, previous) if s and s.get_secret_value())

    def safe_dict(self) -> dict:
        """Settings for logs and diagnostics: every secret masked."""
        out = {}
        for key, value in self.dict().items():
            out[key] = "**********" if isinstance(value, SecretStr) else value
        return out


@lru_cache
def get_settings() -> Settings:
    """The process's settings; in production, refuses (ProductionSettingsError) what must not start."""
    from rasa_project.production import check

    settings = Settings()
    check(settings)
    return settings
