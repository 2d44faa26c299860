"""The timer table: start, find, pause, adjust and take due timers against an injected clock.

A timer with a ``command`` is a delayed command ("turn off the lights in 5 minutes"):
Home Assistant's own model, so status, cancel, pause and "add 5 minutes" work on both.
Which timer a sentence means follows Home Assistant's timer intents: narrow by name, then
area, then the duration it was started with, stopping as soon as one is left; with
nothing to narrow by, the only timer there is. A name also matches a delayed command that
mentions it ("cancel the coffee machine timer" finds "turn off the coffee machine").

Late jobs: the service takes due timers every fraction of a second, so in normal running
a job is late by less than a poll. Timers that came due while edge-os was down are taken
at the next start: those late by at most ``grace_seconds`` (default
:data:`LATE_GRACE_SECONDS`, 5 minutes) run, later ones are dropped and logged (a
"turn off the oven" is never carried out hours after it was meant). Taking a job deletes
its row first, so a job runs at most once, even with several processes on one file.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from edge_os.scheduler.store import Timer, TimerStore

_LOGGER = logging.getLogger(__name__)

Clock = Callable[[], datetime]
LATE_GRACE_SECONDS = 300.0
"""How late a due timer may still run (seconds); later ones are dropped and logged."""


def local_now() -> datetime:
    """The wall clock, timezone-aware."""
    return datetime.now().astimezone()


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w ]", " ", text.lower()).split())


@dataclass(frozen=True)
class TimerQuery:
    """Which timer a sentence means; all None means any."""

    name: str | None = None
    area: str | None = None
    """Area id."""
    start_seconds: int | None = None
    """The duration the timer was started with ("my 5 minute timer")."""

    @property
    def narrowed(self) -> bool:
        """Whether the sentence said anything about which timer."""
        return (self.name, self.area, self.start_seconds) != (None, None, None)

    def matches_name(self, timer: Timer) -> bool:
        """The timer's name, or a delayed command that mentions the name."""
        wanted = _words(self.name or "")
        if not wanted:
            return False
        if timer.name is not None and _words(timer.name) == wanted:
            return True
        return timer.command is not None and f" {wanted} " in f" {_words(timer.command)} "


@dataclass(frozen=True)
class DueTimers:
    """What one poll took from the table."""

    run: list[tuple[Timer, float]] = field(default_factory=list)
    """Timers to finish now, with how late they are (seconds)."""
    expired: list[tuple[Timer, float]] = field(default_factory=list)
    """Timers too late to run (edge-os was down), already dropped."""


class TimerTable:
    """Timers and delayed commands over a :class:`TimerStore`; the clock is injected."""

    def __init__(
        self,
        clock: Clock = local_now,
        store: TimerStore | None = None,
        *,
        grace_seconds: float = LATE_GRACE_SECONDS,
    ) -> None:
        self.clock = clock
        self.store = store or TimerStore()
        self.grace_seconds = grace_seconds

    @classmethod
    def open(
        cls, folder: Path, clock: Clock = local_now, *, grace_seconds: float = LATE_GRACE_SECONDS
    ) -> TimerTable:
        """The durable table in ``folder`` (``<state_dir>``), shared with other processes."""
        return cls(clock, TimerStore(folder), grace_seconds=grace_seconds)

    def now_unix(self) -> float:
        """The injected clock as seconds since the epoch."""
        return self.clock().timestamp()

    def start(
        self,
        seconds: int,
        name: str | None = None,
        *,
        area: str | None = None,
        command: str | None = None,
    ) -> Timer:
        """Start a timer of ``seconds``; with ``command``, a delayed command."""
        now = self.now_unix()
        timer = Timer(
            0,
            seconds,
            name=_words(name or "") or None,
            area=area,
            command=command,
            due_unix=now + seconds,
            left_seconds=float(seconds),
            created_unix=now,
        )
        return self.store.add(timer)

    def running(self) -> list[tuple[Timer, float]]:
        """Timers not yet finished (paused ones included), with their seconds left."""
        now = self.now_unix()
        return [(t, t.left(now)) for t in self.store.all() if t.paused or t.left(now) > 0]

    def find_all(self, query: TimerQuery, *, paused: bool | None = None) -> list[Timer]:
        """Every unfinished timer matching all of ``query`` (and ``paused``, when given)."""
        return [t for t in self._candidates(paused) if self._matches(t, query)]

    def find_one(self, query: TimerQuery, *, paused: bool | None = None) -> list[Timer]:
        """Home Assistant's narrowing: one timer when found; none, or the ambiguous ones."""
        timers = self._candidates(paused)
        if query.name is not None:
            timers = [t for t in timers if query.matches_name(t)]
            if len(timers) == 1:
                return timers
        if query.area is not None:
            timers = [t for t in timers if t.area == query.area]
            if len(timers) == 1:
                return timers
        if query.start_seconds is not None:
            timers = [t for t in timers if t.seconds == query.start_seconds]
        return timers

    def cancel(self, timers: list[Timer]) -> int:
        """Cancel ``timers``; how many were still there to cancel."""
        return len(self.store.remove([t.id for t in timers]))

    def cancel_id(self, timer_id: int) -> bool:
        """Cancel one timer by id (MQTT); False when there is none."""
        return bool(self.store.remove([timer_id]))

    def pause(self, timer: Timer) -> bool:
        """Pause a running timer; False if it finished or is gone."""
        left = timer.left(self.now_unix())
        if timer.paused or left <= 0:
            return False
        return self.store.update(timer.id, due_unix=None, left_seconds=left)

    def resume(self, timer: Timer) -> bool:
        """Restart a paused timer where it stopped; False if it is gone."""
        if not timer.paused:
            return False
        due = self.now_unix() + timer.left_seconds
        return self.store.update(timer.id, due_unix=due, left_seconds=timer.left_seconds)

    def adjust(self, timer: Timer, seconds: float) -> float | None:
        """Add (or with a negative ``seconds`` remove) time; seconds left, None if gone.

        Removing more than is left finishes the timer at the next poll.
        """
        now = self.now_unix()
        left = max(0.0, timer.left(now) + seconds)
        due = None if timer.paused else now + left
        return left if self.store.update(timer.id, due_unix=due, left_seconds=left) else None

    def take_due(self) -> DueTimers:
        """Remove the due timers: those to finish now, and those too late to (dropped)."""
        now = self.now_unix()
        due = DueTimers()
        for timer in self.store.take_due(now):
            late = now - (timer.due_unix or now)
            if late > self.grace_seconds:
                _LOGGER.warning(
                    "dropped timer %d (%s) %.0f s after it was due (grace %.0f s)",
                    timer.id,
                    timer.command or timer.name or "unnamed",
                    late,
                    self.grace_seconds,
                )
                due.expired.append((timer, late))
            else:
                due.run.append((timer, late))
        return due

    def snapshot(self) -> list[dict[str, object]]:
        """Every unfinished timer as plain data (the MQTT ``schedule`` payload)."""
        now = self.now_unix()
        return [timer.to_dict(now) for timer, _ in self.running()]

    def close(self) -> None:
        """Close the store (the timers stay on disk)."""
        self.store.close()

    def _candidates(self, paused: bool | None) -> list[Timer]:
        return [t for t, _ in self.running() if paused is None or t.paused == paused]

    @staticmethod
    def _matches(timer: Timer, query: TimerQuery) -> bool:
        return (
            (query.name is None or query.matches_name(timer))
            and (query.area is None or timer.area == query.area)
            and (query.start_seconds is None or timer.seconds == query.start_seconds)
        )
