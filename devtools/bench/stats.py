"""Latency and rate summaries (pure: lists of seconds in, plain dicts out)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by linear interpolation between closest ranks."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def latency_summary(seconds: Sequence[float]) -> dict:
    """``{"n", "p50_ms", "p95_ms", "max_ms", "mean_ms"}``; only ``n`` when there is nothing to sum up."""
    if not seconds:
        return {"n": 0}
    return {
        "n": len(seconds),
        "p50_ms": round(percentile(seconds, 50) * 1000, 2),
        "p95_ms": round(percentile(seconds, 95) * 1000, 2),
        "max_ms": round(max(seconds) * 1000, 2),
        "mean_ms": round(sum(seconds) / len(seconds) * 1000, 2),
    }


def rate(count: int, elapsed_s: float) -> float:
    """Events per second, rounded for reports (0 when nothing was timed)."""
    return round(count / elapsed_s, 2) if elapsed_s > 0 else 0.0
