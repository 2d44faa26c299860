"""Retry back-off for things that come and go (broker connections, audio devices).

A pure object: time is the caller's. Every timed method takes the current monotonic time
in seconds, so the schedule is testable without sleeping and the caller decides how to wait.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Backoff:
    """When to try again after failed attempts: ``initial, initial*factor, ...`` capped."""

    initial_seconds: float
    """Delay after the first failure."""
    max_seconds: float = 30.0
    """Longest delay between attempts."""
    factor: float = 2.0
    """Growth per consecutive failure."""
    failures: int = 0
    """Consecutive failed attempts so far."""
    next_attempt_at: float = 0.0
    """Monotonic time (seconds) before which no attempt should be made."""

    def delay_seconds(self) -> float:
        """Delay that the next failure would schedule."""
        return min(self.initial_seconds * self.factor**self.failures, self.max_seconds)

    def failed(self, now: float) -> float:
        """Record a failed attempt at ``now``; returns the time of the next attempt."""
        self.next_attempt_at = now + self.next_delay()
        return self.next_attempt_at

    def next_delay(self) -> float:
        """Record a failure; seconds to wait before the next attempt (for a caller that
        waits itself rather than asking :meth:`ready`)."""
        delay = self.delay_seconds()
        self.failures += 1
        return delay

    def ready(self, now: float) -> bool:
        """Whether an attempt may be made at ``now``."""
        return now >= self.next_attempt_at

    def wait_seconds(self, now: float) -> float:
        """Seconds left until the next attempt (0 when it may be made now)."""
        return max(0.0, self.next_attempt_at - now)

    def succeeded(self) -> None:
        """It works again: the next failure starts from ``initial_seconds``."""
        self.failures = 0
        self.next_attempt_at = 0.0
