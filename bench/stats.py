"""Small helpers shared by the benchmarks: percentiles and a fixed output format."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(samples: Sequence[float]) -> str:
    """'median 1.23 ms, p99 4.56 ms (n=200)' from samples in seconds."""
    return (
        f"median {statistics.median(samples) * 1000:.2f} ms, "
        f"p99 {percentile(samples, 99) * 1000:.2f} ms (n={len(samples)})"
    )
