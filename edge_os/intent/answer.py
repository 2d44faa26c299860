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

from edge_os import replies
from edge_os.devices.registry import DeviceRegistry
from edge_os.intent.plan import TIMER_INTENTS
from edge_os.scheduler.store import Timer
from edge_os.scheduler.timers import TimerQuery, TimerTable
from edge_os.stages.protocols import IntentResult, SlotValue

__all__ = ["Timer", "TimerTable", "answer", "finished_text"]

Clock = Callable[[], datetime]
Understands = Callable[[str], bool]
"""Whether a command text is understood (checked before a delayed command is stored)."""


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
    """ "pizza timer", "kitchen timer" (when not set here), "timer to ..." or "timer"."""
    area = registry.area(timer.area) if timer.area and timer.area != here else None
    return replies.timer_label(timer.command, timer.name, area.name if area else None)


def finished_text(timer: Timer, registry: DeviceRegistry, here: str | None = None) -> str:
    """What the service says when a plain timer finishes: "The pizza timer is done."."""
    return replies.timer_done(timer_label(timer, registry, here))


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
        return replies.NOT_UNDERSTOOD
    if intent == "HassGetCurrentTime":
        return replies.time_now(clock())
    if intent == "HassGetCurrentDate":
        return replies.date_today(clock())
    if intent == "HassNevermind":
        return ""
    if intent in TIMER_INTENTS:
        return _TimerAnswers(result.slots, registry, timers, area).answer(intent, understands)
    if intent in {"HassGetState", "HassClimateGetTemperature"}:
        return replies.state_answer(result, registry, states or {})
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
            return replies.timers_cancelled(self.timers.cancel(self.timers.find_all(area)))
        paused = {"HassPauseTimer": False, "HassUnpauseTimer": True}.get(intent)
        found = self.timers.find_one(self.query, paused=paused)
        if len(found) != 1:
            return self.not_one(found, paused)
        timer = found[0]
        label = timer_label(timer, self.registry, self.here)
        if intent == "HassCancelTimer":
            done = bool(self.timers.cancel(found))
            return replies.timer_changed(label, "cancelled") if done else replies.NO_TIMER
        if intent == "HassPauseTimer":
            done = self.timers.pause(timer)
            return replies.timer_changed(label, "paused") if done else replies.NO_TIMER
        if intent == "HassUnpauseTimer":
            done = self.timers.resume(timer)
            return replies.timer_changed(label, "resumed") if done else replies.NO_TIMER
        seconds = _seconds(self.slots)
        if seconds <= 0:
            return replies.BY_HOW_MUCH
        more = intent == "HassIncreaseTimer"
        if self.timers.adjust(timer, seconds if more else -seconds) is None:
            return replies.NO_TIMER
        return replies.timer_adjusted(label, replies.spoken_duration(seconds), added=more)

    def start(self, understands: Understands | None) -> str:
        seconds = _seconds(self.slots)
        if seconds <= 0:
            return replies.HOW_LONG
        command = _text(self.slots, "conversation_command")
        said = replies.spoken_duration(seconds)
        if command is not None and _WAKE_ME.match(command.strip().lower()):
            command = None  # "wake me up in 30 minutes" is an alarm: a timer that rings
        if command is not None:
            if understands is not None and not understands(command):
                return replies.delayed_command_not_understood(said)
            self.timers.start(seconds, self.query.name, area=self.here, command=command)
            return replies.delayed_command_set(command, said)
        timer = self.timers.start(seconds, self.query.name, area=self.query.area or self.here)
        return replies.timer_set(timer_label(timer, self.registry, self.here), said)

    def status(self) -> str:
        found = self.timers.find_all(self.query)
        if not found:
            return self.not_one(found, None)
        now = self.timers.now_unix()
        parts = []
        for timer in found:
            label = timer_label(timer, self.registry, self.here)
            left = replies.spoken_duration(timer.left(now))
            parts.append(replies.timer_left(label, left, paused=timer.paused))
        return " ".join(parts)

    def not_one(self, found: list[Timer], paused: bool | None) -> str:
        if len(found) > 1:
            return replies.which_timer(len(found))
        if not self.timers.running():
            return replies.NO_TIMER
        if paused is True:
            return replies.NO_PAUSED_TIMER
        if paused is False and not self.query.narrowed:
            return replies.NO_TIMER
        return replies.TIMER_NOT_FOUND
