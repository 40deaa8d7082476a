"""Typed client for the Kingdee K/3 Cloud WebAPI (see k3_client.api.ProductionK3)."""

from k3_client.client import AsyncK3Client, K3Client
from k3_client.config import K3Config
from k3_client.errors import (
    K3AuthFailed,
    K3Error,
    K3NotFound,
    K3PermissionDenied,
    K3QtyBelowReported,
    K3Rejected,
    K3SessionLost,
    K3Unavailable,
    K3UnknownForm,
)

__all__ = [
    "AsyncK3Client",
    "K3AuthFailed",
    "K3Client",
    "K3Config",
    "K3Error",
    "K3NotFound",
    "K3PermissionDenied",
    "K3QtyBelowReported",
    "K3Rejected",
    "K3SessionLost",
    "K3Unavailable",
    "K3UnknownForm",
]
