"""A protocol-faithful DingTalk simulator (robot callbacks, sessionWebhook, OpenAPI, Stream gateway,
interactive cards) with a test/admin API under /_sim and chat pages at / and /phone."""

from devtools.simulators.dingtalk.app import create_app

__all__ = ["create_app"]
