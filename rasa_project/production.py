"""What ``DINGK3_ENV=production`` refuses to start with (issue 17, item 1).

Pure over a ``Settings``: ``refusals(settings)`` lists every problem at once, each naming the
setting (as its ``DINGK3_*`` variable) and how to fix it, so a person fixes them in one pass.
``get_settings()`` calls ``check(settings)`` in every process (``dingk3 run``, the worker, the
action server, the Rasa launcher), so a misconfigured production process stops before it binds a
port or touches K/3. Constructing ``Settings(env="production", ...)`` directly (tests, diagnostics)
does not run it; the demo secrets and fault injection are refused there already.

The one opt-out: ``DINGK3_PRODUCTION_ALLOW_LOOPBACK=true`` accepts K/3, DingTalk and LDAP on
127.0.0.1 (a sidecar or a TLS tunnel such as stunnel on the same host); plain LDAP is then
accepted only on loopback. Demo secrets, the simulators, fault injection, SQLite and the
in-memory lock store have no opt-out: none of them is ever right in production.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from pydantic import SecretStr

# setting -> what production requires of it (the settings table in docs/SETTINGS.md shows these)
RULES: dict[str, str] = {
    "database_url": "required: PostgreSQL (SQLite is refused)",
    "tracker_database_url": "PostgreSQL if set (SQLite is refused); default: database_url",
    "redis_url": "required (the Rasa lock store and msgId dedupe across replicas)",
    "k3_base_url": "not the simulator, not loopback (unless production_allow_loopback)",
    "dingtalk_openapi_url": "not the simulator, not loopback (unless production_allow_loopback)",
    "ldap_url": "ldaps:// or ldap_use_tls; not loopback (unless production_allow_loopback)",
    "ldap_use_tls": "required for an ldap:// URL (StartTLS)",
    "k3_sim_faults_enabled": "must be false",
    "production_allow_loopback": "the one opt-out: K/3, DingTalk, LDAP on loopback (sidecar, TLS tunnel)",
}


@dataclass(frozen=True)
class Refusal:
    setting: str
    problem: str
    fix: str

    @property
    def variable(self) -> str:
        return f"DINGK3_{self.setting.upper()}"

    def __str__(self) -> str:
        return f"{self.variable}: {self.problem}. Fix: {self.fix}"


class ProductionSettingsError(ValueError):
    """Production settings that must not start; ``str()`` lists every refusal."""

    def __init__(self, found: list[Refusal]):
        self.refusals = found
        lines = "\n".join(f"  - {r}" for r in found)
        super().__init__(f"DINGK3_ENV=production refuses to start ({len(found)} problem(s)):\n{lines}")


def _host_port(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    if port is None:
        port = {"http": 80, "https": 443, "ldap": 389, "ldaps": 636}.get(parts.scheme)
    return (parts.hostname or "").lower(), port


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _is_sqlite(url: str | None) -> bool:
    return url is None or url.lower().startswith("sqlite")


def _upstream(settings, name: str, sim_host: str, sim_port: int, what: str, real: str) -> list[Refusal]:
    url = getattr(settings, name)
    host, port = _host_port(url)
    if (host, port) == (sim_host.lower(), sim_port) or (is_loopback(host) and is_loopback(sim_host)
                                                        and port == sim_port):
        return [Refusal(name, f"{url} is the {what} simulator's address",
                        f"set {f'DINGK3_{name.upper()}'} to the real {what} ({real})")]
    if is_loopback(host) and not settings.production_allow_loopback:
        return [Refusal(name, f"{url} is a loopback address",
                        f"set it to the real {what} ({real}), or DINGK3_PRODUCTION_ALLOW_LOOPBACK=true "
                        "if a sidecar or tunnel on this host forwards to it")]
    return []


def refusals(settings) -> list[Refusal]:
    """Every reason ``settings`` must not run in production (empty: it may)."""
    found: list[Refusal] = []
    demo = sorted(name for name, field in type(settings).__fields__.items()
                  if isinstance(field.default, SecretStr) and getattr(settings, name) == field.default)
    for name in demo:
        found.append(Refusal(name, "is the public demo value",
                             f"set DINGK3_{name.upper()} or put it in a file of that name in DINGK3_SECRETS_DIR"))
    if settings.k3_sim_faults_enabled:
        found.append(Refusal("k3_sim_faults_enabled", "fault injection is on", "unset it (false)"))
    if _is_sqlite(settings.database_url):
        found.append(Refusal("database_url", "SQLite" + (" (the default)" if not settings.database_url else ""),
                             "set DINGK3_DATABASE_URL=postgresql://user@host:5432/dingk3 (password in "
                             "the URL or a secrets file)"))
    tracker_url = settings.tracker_database_url
    if tracker_url and _is_sqlite(tracker_url):
        found.append(Refusal("tracker_database_url", "SQLite tracker store",
                             "unset it (the tracker store then uses DINGK3_DATABASE_URL) or give a PostgreSQL URL"))
    elif tracker_url and not tracker_url.lower().startswith(("postgresql", "postgres:")):
        found.append(Refusal("tracker_database_url", "Rasa's SQL tracker store is wired for PostgreSQL only",
                             "use a postgresql:// URL"))
    if not settings.redis_url:
        found.append(Refusal("redis_url", "unset: Rasa would use its in-memory lock store and each replica "
                             "its own dedupe file", "set DINGK3_REDIS_URL=redis://host:6379/0 (rediss:// for TLS)"))
    found += _upstream(settings, "k3_base_url", settings.k3_sim_host, settings.k3_sim_port, "K/3 Cloud",
                       "https://<your-server>/k3cloud/")
    found += _upstream(settings, "dingtalk_openapi_url", settings.dingtalk_sim_host, settings.dingtalk_sim_port,
                       "DingTalk OpenAPI", "https://api.dingtalk.com")
    ldap_host, _ = _host_port(settings.ldap_url)
    ldap_loopback_ok = is_loopback(ldap_host) and settings.production_allow_loopback
    if is_loopback(ldap_host) and not settings.production_allow_loopback:
        found.append(Refusal("ldap_url", f"{settings.ldap_url} is a loopback address",
                             "set it to the directory (ldaps://ad.example.com), or "
                             "DINGK3_PRODUCTION_ALLOW_LOOPBACK=true for a local TLS tunnel"))
    if settings.ldap_url.lower().startswith("ldap://") and not settings.ldap_use_tls and not ldap_loopback_ok:
        found.append(Refusal("ldap_use_tls", f"{settings.ldap_url} without TLS sends the bind password in clear",
                             "use an ldaps:// URL or set DINGK3_LDAP_USE_TLS=true (StartTLS)"))
    return found


def check(settings) -> None:
    """Raise ``ProductionSettingsError`` when production settings must not start; else nothing."""
    if settings.env != "production":
        return
    found = refusals(settings)
    if found:
        raise ProductionSettingsError(found)
