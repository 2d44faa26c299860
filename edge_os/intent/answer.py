"""Spoken answers to questions that move no device: time, date, timers, states.

Pure: the clock is injected (``now`` returns a timezone-aware or naive datetime) and the
timers live in a :class:`TimerTable` (in memory, or the durable one the service fires),
so tests never sleep. The whole timer family of Home Assistant is answered here: start
(durations, names, areas, delayed commands), cancel, cancel all, add/remove time, pause,
resume and status. Answers say what truly happened ("There is no timer running.").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime

from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.plan import TIMER_INTENTS
from edge_os.scheduler.store import Timer
from edge_os.scheduler.timers import TimerQuery, TimerTable
from edge_os.stages.protocols import IntentResult, SlotValue

__all__ = ["Timer", "TimerTable", "answer", "finished_text", "spoken_duration"]

Clock = Callable[[], datetime]
Understands = Callable[[str], bool]
"""Whether a command text is understood (checked before a delayed command is stored)."""

NO_TIMER = "There is no timer running."


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


def _seconds(slots: Mapping[str, SlotValue], prefix: str = "") -> int:
    total = 0.0
    for key, size in (("hours", 3600), ("minutes", 60), ("seconds", 1)):
        value = slots.get(prefix + key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            total += value * size
    return round(total)


def _text(slots: Mapping[str, SlotValue], key: str) -> str | None:
    value = slots.get(key)
    return value.strip() or None if isinstance(value, str) else None


def timer_label(timer: Timer, registry: DeviceRegistry, here: str | None = None) -> str:
    """ "pizza timer", "kitchen timer", "timer to turn off the lights" or "timer"."""
    if timer.command:
        return f"timer to {timer.command}"
    if timer.name:
        return f"{timer.name} timer"
    area = registry.area(timer.area) if timer.area and timer.area != here else None
    return f"{area.name.lower()} timer" if area is not None else "timer"


def finished_text(timer: Timer, registry: DeviceRegistry, here: str | None = None) -> str:
    """What the service says when a plain timer finishes: "The pizza timer is done."."""
    return f"The {timer_label(timer, registry, here)} is done."


def answer(
    result: IntentResult,
    registry: DeviceRegistry,
    clock: Clock,
    timers: TimerTable,
    states: Mapping[str, str] | None = None,
    *,
    area: str | None = None,
    understands: Understands | None = None,
) -> str | None:
    """The spoken answer to a question or timer intent; None for device intents.

    ``area`` is where the sentence was said (a new timer belongs to it); ``understands``,
    when given, vets a delayed command before it is stored.
    """
    intent = result.intent
    if intent is None:
        return "Sorry, I didn't understand."
    if intent == "HassGetCurrentTime":
        now = clock()
        return f"It is {now.strftime('%I:%M %p').lstrip('0')}."
    if intent == "HassGetCurrentDate":
        now = clock()
        return f"Today is {now.strftime('%A, %B')} {now.day}, {now.year}."
    if intent == "HassNevermind":
        return ""
    if intent in TIMER_INTENTS:
        return _TimerAnswers(result.slots, registry, timers, area).answer(intent, understands)
    if intent in {"HassGetState", "HassClimateGetTemperature"}:
        from edge_os.intent.states import state_answer

        return state_answer(result, registry, states or {})
    return None


_WAKE_ME = re.compile(r"^(wake me( up)?|remind me|ring|alert me|let me know|get me up)$")
"""Delayed "commands" that ask for nothing but the timer's own ring."""


class _TimerAnswers:
    """One timer sentence against the table."""

    def __init__(
        self,
        slots: Mapping[str, SlotValue],
        registry: DeviceRegistry,
        timers: TimerTable,
        here: str | None,
    ) -> None:
        self.slots = slots
        self.registry = registry
        self.timers = timers
        self.here = here
        self.query = TimerQuery(
            name=_text(slots, "name"),
            area=_text(slots, "area"),
            start_seconds=_seconds(slots, "start_") or None,
        )

    def answer(self, intent: str, understands: Understands | None) -> str:
        if intent == "HassStartTimer":
            return self.start(understands)
        if intent == "HassTimerStatus":
            return self.status()
        if intent == "HassCancelAllTimers":
            area = TimerQuery(area=self.query.area)
            count = self.timers.cancel(self.timers.find_all(area))
            return (
                f"{count} timers cancelled."
                if count > 1
                else ("Timer cancelled." if count else NO_TIMER)
            )
        paused = {"HassPauseTimer": False, "HassUnpauseTimer": True}.get(intent)
        found = self.timers.find_one(self.query, paused=paused)
        if len(found) != 1:
            return self.not_one(found, paused)
        timer = found[0]
        label = timer_label(timer, self.registry, self.here)
        if intent == "HassCancelTimer":
            return f"{_cap(label)} cancelled." if self.timers.cancel(found) else NO_TIMER
        if intent == "HassPauseTimer":
            return f"{_cap(label)} paused." if self.timers.pause(timer) else NO_TIMER
        if intent == "HassUnpauseTimer":
            return f"{_cap(label)} resumed." if self.timers.resume(timer) else NO_TIMER
        change = _seconds(self.slots)
        if change <= 0:
            return "By how much?"
        more = intent == "HassIncreaseTimer"
        if self.timers.adjust(timer, change if more else -change) is None:
            return NO_TIMER
        said = spoken_duration(change)
        return f"Added {said} to the {label}." if more else f"Removed {said} from the {label}."

    def start(self, understands: Understands | None) -> str:
        seconds = _seconds(self.slots)
        if seconds <= 0:
            return "How long should the timer run?"
        command = _text(self.slots, "conversation_command")
        said = spoken_duration(seconds)
        if command is not None and _WAKE_ME.match(command.strip().lower()):
            command = None  # "wake me up in 30 minutes" is an alarm: a timer that rings
        if command is not None:
            if understands is not None and not understands(command):
                return f"Sorry, I didn't understand what to do in {said}."
            self.timers.start(seconds, self.query.name, area=self.here, command=command)
            return f"Okay, I will {command} in {said}."
        timer = self.timers.start(seconds, self.query.name, area=self.query.area or self.here)
        return f"{_cap(timer_label(timer, self.registry, self.here))} set for {said}."

    def status(self) -> str:
        found = self.timers.find_all(self.query)
        if not found:
            return self.not_one(found, None)
        now = self.timers.now_unix()
        parts = []
        for timer in found:
            label = _cap(timer_label(timer, self.registry, self.here))
            left = spoken_duration(timer.left(now))
            parts.append(
                f"{label}: paused, {left} left." if timer.paused else f"{label}: {left} left."
            )
        return " ".join(parts)

    def not_one(self, found: list[Timer], paused: bool | None) -> str:
        if len(found) > 1:
            return f"There are {len(found)} timers; which one?"
        if not self.timers.running():
            return NO_TIMER
        if paused is True:
            return "There is no paused timer."
        if paused is False and not self.query.narrowed:
            return NO_TIMER
        return "I could not find that timer."


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
