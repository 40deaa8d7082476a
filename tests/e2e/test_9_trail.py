"""After every scenario above: the audit trail verifies, tells an order's story, and no secret
reached any service's log or the trail."""

import subprocess
import sys

import pytest

from devtools.factory import get_factory
from rasa_project.audit import AuditTrail
from rasa_project.db import get_sessionmaker

pytestmark = pytest.mark.stack


def secrets_of(settings) -> dict[str, str]:
    factory = get_factory()
    values = {
        "k3_password": settings.k3_password.get_secret_value(),
        "k3_app_secret": settings.k3_app_secret.get_secret_value(),
        "dingtalk_app_secret": settings.dingtalk_app_secret.get_secret_value(),
        "ldap_bind_password": settings.ldap_bind_password.get_secret_value(),
        "fixture_app_secret": factory.k3_apps[0]["app_secret"],
    }
    assert all(len(v) >= 8 for v in values.values())
    return values


def test_no_secret_in_any_service_log(stack):
    _, settings = stack
    logs = sorted((settings.var_dir / "logs").glob("*.log"))
    assert {p.stem for p in logs} >= {"rasa", "actions", "k3-sim", "dingtalk-sim", "slapd"}
    for path in logs:
        text = path.read_text(encoding="utf-8", errors="replace")
        for name, secret in secrets_of(settings).items():
            assert secret not in text, f"{name} appears in {path.name}"


def test_audit_trail_verifies_and_holds_the_whole_story(stack):
    _, settings = stack
    trail = AuditTrail(get_sessionmaker(settings.sqlalchemy_url))
    result = trail.verify()
    assert result.ok and result.checked > 50, result
    story = trail.history("P20250401")
    kinds = {r.kind for r in story}
    assert {"nlu", "decision", "k3_call"} <= kinds, kinds
    payloads = "\n".join(str(r.payload) for r in trail.tail(100000))
    for name, secret in secrets_of(settings).items():
        assert secret not in payloads, name
    cli = subprocess.run(
        [sys.executable, "-m", "rasa_project.cli", "audit", "show", "--order", "P20250401"],
        env={"DINGK3_DATABASE_URL": settings.sqlalchemy_url, "PATH": ""},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert cli.returncode == 0 and "P20250401" in cli.stdout, cli.stderr[-2000:]
