"""Retry back-off for devices that come and go: a pure object, time is the caller's."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Backoff:
    """Exponential delays ``initial, initial*factor, ...`` capped at ``max_seconds``."""

    initial_seconds: float = 0.5
    """First delay after a failure."""
    max_seconds: float = 30.0
    """Longest delay between attempts."""
    factor: float = 2.0
    """Growth per consecutive failure."""
    failures: int = 0
    """Consecutive failures so far."""

    def next_delay(self) -> float:
        """Record a failure; seconds to wait before the next attempt."""
        delay = min(self.initial_seconds * self.factor**self.failures, self.max_seconds)
        self.failures += 1
        return delay

    def succeeded(self) -> None:
        """The device works again: the next failure starts from ``initial_seconds``."""
        self.failures = 0
