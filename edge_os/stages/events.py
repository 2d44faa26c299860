"""Typed pipeline events: what each stage reports, as frozen dataclasses.

Events serialise to one flat JSON object with a ``type`` field (kebab-case, stable), the
format of ``edge-os listen --json`` and of the MQTT event topics.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar


class EventType(StrEnum):
    """Stable event names."""

    WAKE_DETECTED = "wake-detected"
    SPEECH_START = "speech-start"
    SPEECH_END = "speech-end"
    NO_SPEECH = "no-speech"
    TRANSCRIPT = "transcript"
    INTENT = "intent"
    ACTION = "action"
    ANSWER = "answer"
    TIMING = "timing"
    TIMER_FINISHED = "timer-finished"
    ERROR = "error"


@dataclass(frozen=True)
class Event:
    """Base of all pipeline events."""

    type: ClassVar[EventType]

    def to_dict(self) -> dict[str, Any]:
        """Flat plain-data form with the ``type`` first."""
        return {"type": self.type.value, **dataclasses.asdict(self)}

    def to_json(self) -> str:
        """One JSON line."""
        return json.dumps(self.to_dict(), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class WakeDetected(Event):
    """A wake word fired."""

    type: ClassVar[EventType] = EventType.WAKE_DETECTED
    model: str
    score: float
    offset: int
    """Stream sample index (16 kHz) where it fired."""
    seconds: float
    """The same position in seconds."""


@dataclass(frozen=True)
class SpeechStarted(Event):
    """The command's speech began (pre-roll not included in ``offset``)."""

    type: ClassVar[EventType] = EventType.SPEECH_START
    offset: int
    seconds: float


@dataclass(frozen=True)
class SpeechEnded(Event):
    """The command ended: silence after speech, or the maximum length."""

    type: ClassVar[EventType] = EventType.SPEECH_END
    offset: int
    seconds: float
    reason: str
    """``silence`` or ``max-length``."""


@dataclass(frozen=True)
class NoSpeech(Event):
    """No speech started within the timeout after the wake word."""

    type: ClassVar[EventType] = EventType.NO_SPEECH
    offset: int
    seconds: float


@dataclass(frozen=True)
class TranscriptReady(Event):
    """Speech-to-text finished."""

    type: ClassVar[EventType] = EventType.TRANSCRIPT
    text: str
    language: str
    audio_seconds: float
    processing_ms: float


@dataclass(frozen=True)
class IntentRecognized(Event):
    """The intent stage finished (``intent`` null: not understood)."""

    type: ClassVar[EventType] = EventType.INTENT
    text: str
    intent: str | None
    slots: dict[str, Any]
    targets: list[str]
    confidence: float
    path: str
    latency_ms: float


@dataclass(frozen=True)
class ActionFinished(Event):
    """One device action ended (done, queued, failed or awaiting confirmation)."""

    type: ClassVar[EventType] = EventType.ACTION
    entity_id: str
    action: str
    params: dict[str, Any]
    status: str
    reason: str | None
    latency_ms: float


@dataclass(frozen=True)
class AnswerReady(Event):
    """The reply edge-os speaks (built from outcomes, never from the request)."""

    type: ClassVar[EventType] = EventType.ANSWER
    text: str
    first_audio_ms: float | None = None
    """From the end of speech to the first reply audio, when it was spoken."""


@dataclass(frozen=True)
class CommandTimed(Event):
    """Wall time of each stage of one command, from the end of speech (milliseconds)."""

    type: ClassVar[EventType] = EventType.TIMING
    stage_ms: dict[str, float]
    """``stt``, ``intent``, ``action`` (last device acknowledged), ``first_audio``: each
    measured from the moment the end of speech was detected."""


@dataclass(frozen=True)
class TimerFinished(Event):
    """A timer or delayed command came due (or was dropped for being too late)."""

    type: ClassVar[EventType] = EventType.TIMER_FINISHED
    timer_id: int
    name: str | None
    area: str | None
    seconds: int
    """The duration it was started with."""
    command: str | None
    """The delayed command it carries out next; null for a plain timer."""
    late_seconds: float
    """How long after its due time it was taken up (edge-os down, a busy loop)."""
    expired: bool = False
    """True when it was too late to run and was dropped instead (edge-os was down)."""


@dataclass(frozen=True)
class ErrorEvent(Event):
    """A stage failed; the loop goes back to listening."""

    type: ClassVar[EventType] = EventType.ERROR
    stage: str
    code: str
    message: str
