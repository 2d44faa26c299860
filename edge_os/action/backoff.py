"""Reconnect back-off for the broker connection: a pure object, time is the caller's."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ReconnectBackoff:
    """When to try again after failed attempts: ``initial, initial*factor, ...`` capped.

    Every method takes the current monotonic time in seconds, so the schedule is testable
    without sleeping and the network thread decides how to wait.
    """

    initial_seconds: float = 0.1
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
        self.next_attempt_at = now + self.delay_seconds()
        self.failures += 1
        return self.next_attempt_at

    def ready(self, now: float) -> bool:
        """Whether an attempt may be made at ``now``."""
        return now >= self.next_attempt_at

    def wait_seconds(self, now: float) -> float:
        """Seconds left until the next attempt (0 when it may be made now)."""
        return max(0.0, self.next_attempt_at - now)

    def succeeded(self) -> None:
        """The connection is up: the next failure starts from ``initial_seconds`` again."""
        self.failures = 0
        self.next_attempt_at = 0.0
