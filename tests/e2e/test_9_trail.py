"""After every scenario above: the audit trail verifies, tells an order's story, and no secret
reached any service's log or the trail."""

import subprocess
import sys

import pytest
from pydantic import SecretStr

from devtools.factory import get_factory
from rasa_project.audit import AuditTrail
from rasa_project.db import get_sessionmaker

pytestmark = pytest.mark.stack


def secrets_of(settings) -> dict[str, str]:
    """Every secret setting (the K/3, DingTalk and LDAP credentials, the Rasa API and action-server
    tokens, the anchor key ...) and the fixture's K/3 app secret."""
    factory = get_factory()
    values = {name: value.get_secret_value() for name, value in settings
              if isinstance(value, SecretStr) and value.get_secret_value()}
    values["fixture_app_secret"] = factory.k3_apps[0]["app_secret"]
    assert {"k3_password", "dingtalk_app_secret", "rasa_api_token", "action_server_token", "audit_anchor_key"} <= set(values)
    assert all(len(v) >= 8 for v in values.values())
    return values


def test_no_secret_in_any_service_log(stack):
    _, settings = stack
    logs = sorted((settings.var_dir / "logs").glob("*.log"))
    assert {p.stem for p in logs} >= {"rasa", "actions", "k3-sim", "dingtalk-sim", "slapd", "worker"}
    anchors = settings.audit_anchor_file  # the anchors are published: no key may be in them either
    logs += [anchors] if anchors.exists() else []
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
