"""Process-wide collaborators for the action server, built lazily from settings.

Nothing connects at import time; each getter builds its object on first use and keeps it.
Tests of the core build their own objects instead of using these.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache
def k3():
    from k3_client.client import K3Client
    from rasa_project.chat.access import audit_k3_call
    from rasa_project.settings import get_settings

    client = K3Client.from_settings(get_settings())
    client.observer = audit_k3_call  # every K/3 call lands in the audit trail
    return client


@lru_cache
def authorizer():
    from rasa_project.authz.service import Authorizer
    from rasa_project.settings import get_settings

    return Authorizer(get_settings())


@lru_cache
def audit():
    from rasa_project.audit import get_audit_trail

    return get_audit_trail()


@lru_cache
def workflow():
    from rasa_project.ordering.service import get_workflow_service

    return get_workflow_service()


@lru_cache
def dingtalk():
    from dingtalk_client.openapi import DingTalkOpenAPI
    from rasa_project.settings import get_settings

    return DingTalkOpenAPI(get_settings())
