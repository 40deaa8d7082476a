"""Shared pieces of the production-topology tests (issue 17)."""

from __future__ import annotations

from pydantic import SecretStr

from rasa_project.settings import Settings


def real_secrets() -> dict[str, str]:
    return {name: f"not-the-demo-{name}-0123456789" for name, field in Settings.__fields__.items()
            if isinstance(field.default, SecretStr)}


def production(**overrides) -> Settings:
    """Settings production accepts; ``overrides`` break one thing at a time."""
    values = dict(
        env="production",
        **real_secrets(),
        database_url="postgresql+psycopg2://dingk3@db.factory.example:5432/dingk3",
        redis_url="redis://redis.factory.example:6379/0",
        k3_base_url="https://k3.factory.example/k3cloud/",
        dingtalk_openapi_url="https://api.dingtalk.com",
        ldap_url="ldaps://ad.factory.example",
    )
    values.update(overrides)
    return Settings(**values)
