"""The listening front end: wake word, then VAD endpointing, over a stream of chunks.

Feed :class:`FrontEnd` 16 kHz mono chunks in stream order; it returns typed events
(``wake-detected``, ``speech-start``, ``speech-end``, ``no-speech``) and, right after a
``speech-end``, the command's audio as one :class:`AudioChunk` that starts
``pre_roll_seconds`` before the speech (so the first syllable is kept) and ends
``TAIL_SECONDS`` after it. Offsets are stream sample indices, as in the chunks.

At the first ``TAIL_SECONDS`` of a silence inside a command it also returns
:class:`PausedSpeech`: the audio that ``speech-end`` would hand over if the speaker stopped
there (the same range, byte for byte), so it can be transcribed ahead while the VAD waits
out ``vad.silence_seconds``.

Latency contract: a wake word is reported at the end of the 80 ms frame that completes its
patience; speech boundaries are found per 32 ms VAD window; ``speech-end`` is reported
``vad.silence_seconds`` after the last speech window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from edge_os.audio.format import INTERNAL_FORMAT, AudioChunk
from edge_os.stages.events import Event, NoSpeech, SpeechEnded, SpeechStarted, WakeDetected
from edge_os.stages.protocols import WakeWordDetector
from edge_os.vad.endpoint import Endpoint, Endpointer, EndpointState

if TYPE_CHECKING:
    from edge_os.config.settings import Config
    from edge_os.vad.silero import SileroVad

TAIL_SECONDS = 0.2
"""Audio kept after the last speech window in the command audio."""
_MARGIN_SECONDS = 1.0
"""Extra history kept while idle: VAD windows lag the newest chunk a little."""


@dataclass(frozen=True)
class PausedSpeech:
    """The command so far, at a pause in it (not an event: nothing is published)."""

    audio: AudioChunk
    """What the command's audio will be if no more speech follows."""


FrontEndOutput = Event | AudioChunk | PausedSpeech


def _seconds(offset: int) -> float:
    return round(offset / INTERNAL_FORMAT.rate, 3)


class FrontEnd:
    """Wake word -> VAD endpointing; feed chunks, get events and command audio."""

    def __init__(
        self,
        wake: WakeWordDetector,
        vad: SileroVad,
        endpointer: Endpointer,
        *,
        pre_roll_seconds: float = 0.3,
    ) -> None:
        self.wake = wake
        self.vad = vad
        self.endpointer = endpointer
        self._pre_roll = round(pre_roll_seconds * INTERNAL_FORMAT.rate)
        self._tail = round(TAIL_SECONDS * INTERNAL_FORMAT.rate)
        self._margin = round(_MARGIN_SECONDS * INTERNAL_FORMAT.rate)
        self._audio = bytearray()
        self._audio_start = 0
        self._follow_up = False
        """Listening after an answer: a wake word there starts a new command."""

    @classmethod
    def from_config(cls, config: Config) -> FrontEnd:
        """A front end with the wake-word and VAD models and settings of ``config``."""
        from edge_os.vad.silero import SileroVad
        from edge_os.wake.models import resolve, with_int8
        from edge_os.wake.openwakeword import OpenWakeWord

        provider = config.runtime.execution_provider
        files = resolve(list(config.wake.models))
        if config.wake.int8:
            files = with_int8(files, config.state_dir)
        wake = OpenWakeWord(
            files,
            threshold=config.wake.threshold,
            patience_frames=config.wake.patience_frames,
            refractory_seconds=config.wake.refractory_seconds,
            threads=config.wake.threads,
            provider=provider,
        )
        vad = SileroVad(threads=config.wake.threads, provider=provider)
        endpointer = Endpointer(
            threshold=config.vad.threshold,
            silence_seconds=config.vad.silence_seconds,
            max_command_seconds=config.vad.max_command_seconds,
            no_speech_timeout_seconds=config.vad.no_speech_timeout_seconds,
            pause_seconds=TAIL_SECONDS,  # the whole tail is heard by then
        )
        return cls(wake, vad, endpointer, pre_roll_seconds=config.vad.pre_roll_seconds)

    @property
    def listening(self) -> bool:
        """True between a wake word (or :meth:`listen`) and the end of the command."""
        return self.endpointer.state is not EndpointState.IDLE

    @property
    def buffered_samples(self) -> int:
        """Samples held for the pre-roll and the command being spoken."""
        return len(self._audio) // INTERNAL_FORMAT.width

    def listen(self, offset: int, *, follow_up: bool = False) -> None:
        """Start listening for a command at ``offset`` without a wake word (push-to-talk;
        ``follow_up``: after an answer, where the command starts after a silence)."""
        self.endpointer.arm(offset, after_silence=follow_up)
        self._follow_up = follow_up

    def reset(self) -> None:
        """Forget everything (a new stream starts at offset 0)."""
        self._follow_up = False
        self.wake.reset()
        self.vad.reset()
        self.endpointer.cancel()
        self._audio.clear()
        self._audio_start = 0

    def process(self, chunk: AudioChunk) -> list[FrontEndOutput]:
        """Feed the next chunk; events it completes, and the command audio at speech-end."""
        chunk.require(INTERNAL_FORMAT)
        if chunk.offset != self._audio_start + self.buffered_samples:
            # a gap in the stream (or the first chunk): the history no longer lines up
            self._audio.clear()
            self._audio_start = chunk.offset
        self._audio += chunk.pcm
        out: list[FrontEndOutput] = []
        for detection in self.wake.process(chunk):
            if self.listening and not self._follow_up:
                continue  # a wake word inside a command is part of it
            self._follow_up = False  # in a follow-up window, the wake word starts afresh
            out.append(
                WakeDetected(
                    model=detection.model,
                    score=round(detection.score, 4),
                    offset=detection.offset,
                    seconds=_seconds(detection.offset),
                )
            )
            self.endpointer.arm(detection.offset)
        for frame in self.vad.process(chunk):
            endpoint = self.endpointer.update(frame.start, frame.end, frame.probability)
            if endpoint is not None:
                out.extend(self._on_endpoint(endpoint))
        self._trim(chunk.end)
        return out

    def _on_endpoint(self, endpoint: Endpoint) -> list[FrontEndOutput]:
        at = _seconds(endpoint.offset)
        if endpoint.kind == "speech-start":
            return [SpeechStarted(offset=endpoint.offset, seconds=at)]
        if endpoint.kind == "no-speech":
            return [NoSpeech(offset=endpoint.offset, seconds=at)]
        start = self.endpointer.speech_start - self._pre_roll
        if endpoint.kind == "speech-pause":
            return [PausedSpeech(self._slice(start, endpoint.offset + self._tail))]
        return [
            SpeechEnded(offset=endpoint.offset, seconds=at, reason=endpoint.reason),
            self._slice(start, endpoint.offset + self._tail),
        ]

    def _slice(self, start: int, end: int) -> AudioChunk:
        """Buffered audio between two stream indices (clipped to what is buffered)."""
        width = INTERNAL_FORMAT.width
        start = max(start, self._audio_start)
        end = min(end, self._audio_start + len(self._audio) // width)
        pcm = bytes(
            self._audio[(start - self._audio_start) * width : (end - self._audio_start) * width]
        )
        return AudioChunk(pcm, offset=start)

    def _trim(self, end: int) -> None:
        if self.endpointer.state is EndpointState.SPEAKING:
            keep_from = self.endpointer.speech_start - self._pre_roll
        else:
            keep_from = end - self._pre_roll - self._margin
        drop = keep_from - self._audio_start
        if drop > 0:
            del self._audio[: drop * INTERNAL_FORMAT.width]
            self._audio_start = keep_from
