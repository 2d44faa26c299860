"""Counters and per-stage latency summaries of the running service (bounded memory)."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Any

from edge_os.stages.events import ErrorEvent, Event, EventType

WINDOW = 500
"""Latencies kept per stage: enough for stable percentiles, constant memory over months."""


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of ``values`` (which must not be empty)."""
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Metrics:
    """Counts events and keeps the last :data:`WINDOW` latencies of each stage."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self._latency: dict[str, deque[float]] = {}
        self.last_wake_unix: float | None = None
        """When the wake word was last heard (wall clock), for ``edge-os doctor``."""

    def record_event(self, event: Event) -> None:
        """Count one pipeline event (and its error code, for errors)."""
        with self._lock:
            self.counts[event.type.value] += 1
            if event.type is EventType.WAKE_DETECTED:
                self.last_wake_unix = time.time()
            if isinstance(event, ErrorEvent):
                self.errors[event.code] += 1

    def record_latency(self, stage: str, milliseconds: float) -> None:
        """Remember one latency of ``stage``."""
        with self._lock:
            self._latency.setdefault(stage, deque(maxlen=WINDOW)).append(milliseconds)

    def snapshot(self) -> dict[str, Any]:
        """Counts and p50/p95/max per stage, as plain data."""
        with self._lock:
            stages = {
                stage: {
                    "n": len(values),
                    "p50_ms": round(percentile(list(values), 0.5), 1),
                    "p95_ms": round(percentile(list(values), 0.95), 1),
                    "max_ms": round(max(values), 1),
                }
                for stage, values in self._latency.items()
                if values
            }
            return {
                "wakes": self.counts[EventType.WAKE_DETECTED.value],
                "last_wake_unix": self.last_wake_unix,
                "commands": self.counts[EventType.TRANSCRIPT.value],
                "actions": self.counts[EventType.ACTION.value],
                "errors": sum(self.errors.values()),
                "errors_by_code": dict(self.errors),
                "events": dict(self.counts),
                "latency": stages,
            }
