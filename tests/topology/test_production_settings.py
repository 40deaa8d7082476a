"""DINGK3_ENV=production refuses what must not run in production, naming the setting and the fix."""

from __future__ import annotations

import subprocess
import sys

import pytest

from rasa_project import production as prod
from rasa_project.rasa_server import endpoint_env, endpoints_file
from rasa_project.settings import PROJECT_ROOT, Settings
from tests.topology.conftest import production, real_secrets


def refused(settings) -> dict[str, str]:
    return {r.setting: str(r) for r in prod.refusals(settings)}


def test_real_production_settings_start():
    settings = production()
    prod.check(settings)  # raises nothing
    assert prod.refusals(settings) == []


@pytest.mark.parametrize(
    "overrides,setting,words",
    [
        ({"database_url": None}, "database_url", ["DINGK3_DATABASE_URL", "SQLite", "postgresql://"]),
        ({"database_url": "sqlite:////srv/dingk3.db"}, "database_url", ["SQLite"]),
        ({"tracker_database_url": "sqlite:///t.db"}, "tracker_database_url", ["DINGK3_TRACKER_DATABASE_URL"]),
        ({"tracker_database_url": "mysql://x@y/z"}, "tracker_database_url", ["PostgreSQL"]),
        ({"redis_url": None}, "redis_url", ["DINGK3_REDIS_URL", "in-memory lock store", "redis://"]),
        ({"k3_base_url": "http://127.0.0.1:8801/k3cloud/"}, "k3_base_url", ["simulator", "DINGK3_K3_BASE_URL"]),
        ({"k3_base_url": "http://localhost:9000/k3cloud/"}, "k3_base_url",
         ["loopback", "DINGK3_PRODUCTION_ALLOW_LOOPBACK"]),
        ({"dingtalk_openapi_url": "http://127.0.0.1:8802"}, "dingtalk_openapi_url",
         ["simulator", "https://api.dingtalk.com"]),
        ({"dingtalk_openapi_url": "http://[::1]:9999"}, "dingtalk_openapi_url", ["loopback"]),
        ({"ldap_url": "ldap://ad.factory.example"}, "ldap_use_tls", ["DINGK3_LDAP_USE_TLS", "ldaps://"]),
        ({"ldap_url": "ldaps://127.0.0.1:636"}, "ldap_url", ["loopback"]),
    ],
)
def test_each_refusal_names_the_setting_and_the_fix(overrides, setting, words):
    found = refused(production(**overrides))
    assert set(found) == {setting}, found
    assert found[setting].startswith(f"DINGK3_{setting.upper()}:")
    assert "Fix:" in found[setting]
    for word in words:
        assert word in found[setting]


def test_starttls_satisfies_ldap_and_loopback_is_an_explicit_opt_out():
    assert refused(production(ldap_url="ldap://ad.factory.example", ldap_use_tls=True)) == {}
    sidecar = {"k3_base_url": "http://127.0.0.1:9443/k3cloud/", "ldap_url": "ldap://127.0.0.1:3389"}
    assert set(refused(production(**sidecar))) == {"k3_base_url", "ldap_url", "ldap_use_tls"}
    assert refused(production(production_allow_loopback=True, **sidecar)) == {}
    # the opt-out never lets the simulators, SQLite or a missing Redis through
    opted = production(production_allow_loopback=True, k3_base_url="http://127.0.0.1:8801/k3cloud/",
                       database_url=None, redis_url=None)
    assert set(refused(opted)) == {"k3_base_url", "database_url", "redis_url"}


def test_every_problem_is_listed_at_once_and_the_demo_never_passes():
    demo_upstreams = Settings(env="production", **real_secrets())  # everything else at the demo defaults
    with pytest.raises(prod.ProductionSettingsError) as caught:
        prod.check(demo_upstreams)
    assert {r.setting for r in caught.value.refusals} == {
        "database_url", "redis_url", "k3_base_url", "dingtalk_openapi_url", "ldap_url", "ldap_use_tls"}
    assert "6 problem(s)" in str(caught.value)
    prod.check(Settings())  # the demo itself is not production and is not checked


def test_dingk3_refuses_to_start_with_every_reason_and_no_secret(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DINGK3_ENV": "production",
           **{f"DINGK3_{k.upper()}": v for k, v in real_secrets().items()}}
    run = subprocess.run([sys.executable, "-m", "rasa_project.cli", "settings"], check=False, cwd=PROJECT_ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "DINGK3_ENV=production refuses to start" in run.stderr
    for variable in ("DINGK3_DATABASE_URL", "DINGK3_REDIS_URL", "DINGK3_K3_BASE_URL", "DINGK3_LDAP_USE_TLS"):
        assert variable in run.stderr
    assert "not-the-demo" not in run.stderr + run.stdout
    assert "Traceback" not in run.stderr


def test_production_endpoints_read_only_variables_the_launcher_provides():
    """endpoints.production.yml (the README's DINGK3_DATABASE_URL / DINGK3_REDIS_URL) reads, through
    Rasa's own loader, into our tracker and lock stores pointed at those URLs."""
    from rasa.core.utils import read_endpoints_from_path

    settings = production(database_url="postgresql+psycopg2://bot:s%40cret@db.factory.example:5433/k3bot"
                                       "?sslmode=require")
    env = {**endpoint_env(settings), "DINGK3_REDIS_URL": settings.redis_url,
           "DINGK3_ACTION_SERVER_TOKEN": "t0ken"}
    assert endpoints_file(settings).endswith("endpoints.production.yml")
    assert endpoints_file(Settings()).endswith("endpoints.yml")
    mp = pytest.MonkeyPatch()
    try:
        for key, value in env.items():
            mp.setenv(key, value)
        endpoints = read_endpoints_from_path(PROJECT_ROOT / "endpoints.production.yml")
    finally:
        mp.undo()
    tracker, lock = endpoints.tracker_store, endpoints.lock_store
    assert tracker.type == "rasa_project.tracker_store.FencedSQLTrackerStore"
    assert (tracker.url, tracker.kwargs["port"], tracker.kwargs["db"]) == ("db.factory.example", "5433", "k3bot")
    assert (tracker.kwargs["username"], tracker.kwargs["password"]) == ("bot", "s@cret")
    assert tracker.kwargs["query"] == {"sslmode": "require"}
    assert lock.type == "rasa_project.lock_store.AtomicRedisLockStore"
    assert lock.url == "redis://redis.factory.example:6379/0"
    assert endpoints.action.url == "http://127.0.0.1:5055/webhook"
    assert endpoints.action.headers == {"Authorization": "Bearer t0ken"}
