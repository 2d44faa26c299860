"""Spoken answers to questions that move no device: time, date, timers, states.

Pure: the clock is injected (``now`` returns a timezone-aware or naive datetime), and the
timer table keeps only deadlines in memory, so tests never sleep.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from edge_os.devices.registry import DeviceRegistry
from edge_os.pipeline.stages import IntentResult

Clock = Callable[[], datetime]


@dataclass
class Timer:
    """One running timer."""

    name: str | None
    seconds: int
    deadline: datetime


def spoken_duration(seconds: float) -> str:
    """``5400`` -> "1 hour and 30 minutes"."""
    seconds = max(0, round(seconds))
    parts = []
    for unit, size in (("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
    if not parts:
        return "0 seconds"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


class TimerTable:
    """In-memory timers against an injected clock; finished timers drop out when looked at."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.timers: list[Timer] = []

    def start(self, seconds: int, name: str | None = None) -> Timer:
        """Start a timer of ``seconds``."""
        from datetime import timedelta

        timer = Timer(name, seconds, self.clock() + timedelta(seconds=seconds))
        self.timers.append(timer)
        return timer

    def running(self) -> list[tuple[Timer, float]]:
        """Running timers with their seconds left (finished ones are removed)."""
        now = self.clock()
        self.timers = [t for t in self.timers if t.deadline > now]
        return [(t, (t.deadline - now).total_seconds()) for t in self.timers]

    def cancel(self, name: str | None = None, seconds: int | None = None) -> int:
        """Cancel the matching timers (all when nothing narrows it down); how many went."""
        before = self.running()
        keep = [
            t
            for t, _ in before
            if (name is not None and t.name != name)
            or (seconds is not None and t.seconds != seconds)
        ]
        self.timers = keep
        return len(before) - len(keep)


def _seconds(slots: Mapping[str, object]) -> int:
    total = 0.0
    for key, size in (("hours", 3600), ("minutes", 60), ("seconds", 1)):
        value = slots.get(key)
        if isinstance(value, int | float):
            total += value * size
    return int(total)


def answer(
    result: IntentResult,
    registry: DeviceRegistry,
    clock: Clock,
    timers: TimerTable,
    states: Mapping[str, str] | None = None,
) -> str | None:
    """The spoken answer to a question or timer intent; None for device intents."""
    intent = result.intent
    slots = result.slots
    if intent is None:
        return "Sorry, I did not understand."
    if intent == "HassGetCurrentTime":
        now = clock()
        return f"It is {now.strftime('%I:%M %p').lstrip('0')}."
    if intent == "HassGetCurrentDate":
        now = clock()
        return f"Today is {now.strftime('%A, %B')} {now.day}, {now.year}."
    if intent == "HassNevermind":
        return ""
    if intent == "HassStartTimer":
        seconds = _seconds(slots)
        if seconds <= 0:
            return "How long should the timer run?"
        name = slots.get("name")
        timers.start(seconds, str(name) if name else None)
        return f"Timer set for {spoken_duration(seconds)}."
    if intent == "HassCancelTimer":
        count = timers.cancel(seconds=_seconds(slots) or None)
        return (
            "Timer cancelled."
            if count == 1
            else f"{count} timers cancelled."
            if count
            else ("There is no timer running.")
        )
    if intent == "HassTimerStatus":
        running = timers.running()
        if not running:
            return "There is no timer running."
        return " ".join(
            f"{t.name.capitalize() + ' timer' if t.name else 'Timer'}: "
            f"{spoken_duration(left)} left."
            for t, left in running
        )
    if intent in {"HassGetState", "HassClimateGetTemperature"}:
        return _state_answer(result, registry, states or {})
    return None


def _state_answer(result: IntentResult, registry: DeviceRegistry, states: Mapping[str, str]) -> str:
    parts = []
    for entity_id in result.targets:
        entity = registry.get(entity_id)
        if entity is None:
            continue
        state = states.get(entity_id)
        if state is None:
            parts.append(f"I do not know the state of the {entity.name.lower()} yet.")
        elif result.intent == "HassClimateGetTemperature":
            parts.append(f"The {entity.name.lower()} reads {state} degrees.")
        else:
            parts.append(f"The {entity.name.lower()} is {state}.")
    return " ".join(parts) or "I could not find that device."
