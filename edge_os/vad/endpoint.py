"""Endpointing as a pure state machine over VAD probabilities: when a command starts and ends.

Time is the stream position in samples (16 kHz), given with every window, so the machine
never reads a clock and replays identically. After :meth:`Endpointer.arm` (the wake word)
it waits for speech; a run of speech windows starts the command; silence, the maximum
command length or a no-speech timeout ends it. Given ``pause_seconds``, the first that
long of each silence inside a command is reported too (``speech-pause``), so the command
can be transcribed while the machine waits to see whether the speaker goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from edge_os.audio.format import SAMPLE_RATE

NEG_THRESHOLD_GAP = 0.15
"""Once speaking, a window stays speech down to ``threshold - 0.15`` (Silero's hysteresis)."""


class EndpointState(StrEnum):
    """Where the machine stands."""

    IDLE = "idle"
    WAITING = "waiting"
    SPEAKING = "speaking"


EndpointKind = Literal["speech-start", "speech-pause", "speech-end", "no-speech"]


@dataclass(frozen=True)
class Endpoint:
    """A boundary found in the stream."""

    kind: EndpointKind
    """What happened."""
    offset: int
    """Stream sample index of the boundary (start of speech, end of speech so far, or
    timeout)."""
    reason: str = ""
    """For ``speech-end``: ``silence`` or ``max-length``."""


class Endpointer:
    """Start and end of one command from per-window speech probabilities."""

    def __init__(
        self,
        *,
        threshold: float = 0.5,
        silence_seconds: float = 0.7,
        max_command_seconds: float = 10.0,
        no_speech_timeout_seconds: float = 5.0,
        min_speech_seconds: float = 0.09,
        pause_seconds: float | None = None,
    ) -> None:
        self.threshold = threshold
        self.neg_threshold = max(threshold - NEG_THRESHOLD_GAP, 0.01)
        self._silence = round(silence_seconds * SAMPLE_RATE)
        self._max_command = round(max_command_seconds * SAMPLE_RATE)
        self._no_speech = round(no_speech_timeout_seconds * SAMPLE_RATE)
        self._min_speech = round(min_speech_seconds * SAMPLE_RATE)
        self._pause = round(pause_seconds * SAMPLE_RATE) if pause_seconds else None
        self._paused_at: int | None = None
        self.state = EndpointState.IDLE
        self._armed_at = 0
        self._run_start: int | None = None
        self._silence_first = False
        self.speech_start = 0
        """Stream index where the current command's speech began."""
        self._last_speech_end = 0

    def arm(self, offset: int, *, after_silence: bool = False) -> None:
        """Start waiting for a command at stream index ``offset`` (the wake word fired).

        ``after_silence``: a command starts only after a window of silence (a follow-up:
        speech already going on when the window opens is someone mid-sentence, and a
        command heard from its middle would be misread)."""
        self.state = EndpointState.WAITING
        self._armed_at = offset
        self._run_start = None
        self._silence_first = after_silence

    def cancel(self) -> None:
        """Stop listening without an event."""
        self.state = EndpointState.IDLE
        self._run_start = None

    def update(self, start: int, end: int, probability: float) -> Endpoint | None:
        """Feed the window ``[start, end)``; the boundary it completes, if any."""
        if self.state is EndpointState.WAITING:
            return self._waiting(start, end, probability)
        if self.state is EndpointState.SPEAKING:
            return self._speaking(end, probability)
        return None

    def _waiting(self, start: int, end: int, probability: float) -> Endpoint | None:
        if end <= self._armed_at:
            return None
        if self._silence_first:
            if probability >= self.neg_threshold:
                return self._timed_out(end)
            self._silence_first = False
        if probability >= self.threshold:
            if self._run_start is None:
                self._run_start = max(start, self._armed_at)
            if end - self._run_start >= self._min_speech:
                self.state = EndpointState.SPEAKING
                self.speech_start = self._run_start
                self._last_speech_end = end
                self._paused_at = None
                return Endpoint("speech-start", self.speech_start)
            return None
        self._run_start = None
        return self._timed_out(end)

    def _timed_out(self, end: int) -> Endpoint | None:
        if end - self._armed_at >= self._no_speech:
            self.state = EndpointState.IDLE
            return Endpoint("no-speech", end)
        return None

    def _speaking(self, end: int, probability: float) -> Endpoint | None:
        if probability >= self.neg_threshold:
            self._last_speech_end = end
        if end - self.speech_start >= self._max_command:
            self.state = EndpointState.IDLE
            return Endpoint("speech-end", self.speech_start + self._max_command, "max-length")
        silent = end - self._last_speech_end
        if silent >= self._silence:
            self.state = EndpointState.IDLE
            return Endpoint("speech-end", self._last_speech_end, "silence")
        paused = self._pause is not None and silent >= self._pause
        if paused and self._paused_at != self._last_speech_end:
            self._paused_at = self._last_speech_end  # once per pause
            return Endpoint("speech-pause", self._last_speech_end)
        return None
