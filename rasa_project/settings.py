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

from pydantic import BaseSettings, SecretStr, validator

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
    dingtalk_mode: str = "http"  # http | stream
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
    # DingTalk OA approval (审批) and the encrypted HTTP event subscription (spec §6, §8); the demo
    # values are the fixture's (data/demo_factory.yaml, dingtalk.*).
    dingtalk_approval_process_code: str = "PROC-DINGK3-MO-0001"
    dingtalk_event_token: str = "dingk3demoeventtoken"
    dingtalk_event_aes_key: SecretStr = SecretStr("ZGluZ2szZGVtb2Flc2tleTAxMjM0NTY3ODlhYmNkZWY")
    dingtalk_event_window_s: int = 3600  # accepted |now - timeStamp| of an event post (DingTalk: unstated)
    oa_inbox_lease_s: int = 60  # a claimed inbox event returns to the queue if not done within this

    # LDAP
    ldap_url: str = "ldap://127.0.0.1:3890"
    ldap_bind_dn: str = "cn=admin,dc=demo-factory,dc=local"
    ldap_bind_password: SecretStr = SecretStr("demo-ldap-admin")
    ldap_base_dn: str = "dc=demo-factory,dc=local"
    ldap_staff_id_attribute: str = "employeeNumber"
    ldap_group_pmc: str = "cn=pmc,ou=groups,dc=demo-factory,dc=local"
    ldap_group_production: str = "cn=production,ou=groups,dc=demo-factory,dc=local"
    ldap_group_managers: str = "cn=managers,ou=groups,dc=demo-factory,dc=local"
    ldap_use_tls: bool = False
    ldap_timeout_s: float = 3.0
    authz_cache_ttl_s: int = 60

    # Storage: SQLite + in-process stores by default; Postgres/Redis in production.
    database_url: str | None = None  # default sqlite:///var/dingk3.db
    redis_url: str | None = None  # e.g. redis://127.0.0.1:6379/0 -> dedupe store in Redis

    # Rasa
    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_host: str = "127.0.0.1"
    action_port: int = 5055

    # Business rules
    max_order_qty: int = 100_000
    report_tolerance_pct: float = 0.0  # over-report allowed beyond the order quantity
    correction_window_s: int = 1800
    approval_remind_after_s: int = 3600
    approval_expire_after_s: int = 86400
    # Approval cards to managers: "action_card" (dtmd:// buttons that send chat text; works in every
    # client) or "interactive" (createAndDeliver cards whose presses come back as card callbacks).
    approval_card: str = "action_card"
    approval_worker_interval_s: float = 30.0  # reminders, expiry, resume, outbox retry; 0 = no thread
    notify_group_lang: str = "zh"  # language of notices posted to the PMC / production groups
    notify_retry_max_s: int = 600  # outbox backoff cap for a DingTalk send that failed

    class Config:
        env_prefix = "DINGK3_"

    @validator("k3_sim_faults_enabled")
    def _no_faults_in_production(cls, value, values):
        if value and values.get("env") == "production":
            raise ValueError("fault injection cannot be enabled in production")
        return value

    @property
    def sqlalchemy_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'dingk3.db'}"

    @property
    def k3_sim_db_path(self) -> Path:
        return self.k3_sim_db or self.var_dir / "k3sim.db"

    def safe_dict(self) -> dict:
        """Settings for logs and diagnostics: every secret masked."""
        out = {}
        for key, value in self.dict().items():
            out[key] = "**********" if isinstance(value, SecretStr) else value
        return out


@lru_cache
def get_settings() -> Settings:
    return Settings()
