"""Small protocols every engine adapter implements, and the results they hand on.

Heavy runtimes (onnxruntime, CTranslate2, Piper) are imported inside the adapters, never
here, so this module is as cheap to import as the config.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from edge_os.audio.format import AudioChunk

IntentPath = Literal["grammar", "model", "llm", "cache", "app", "none"]
SlotValue = str | int | float


@dataclass(frozen=True)
class WakeDetection:
    """A wake word heard in the stream."""

    model: str
    """Wake-word name (e.g. ``hey_jarvis``)."""
    score: float
    """Highest model score of the detection (0-1)."""
    offset: int
    """Stream sample index (16 kHz) at which the detection fired."""


class WakeWordDetector(Protocol):
    """Consumes 16 kHz mono audio as it arrives; reports detections."""

    def process(self, chunk: AudioChunk) -> list[WakeDetection]:
        """Feed the next chunk (any length); return detections that fired in it."""
        ...

    def reset(self) -> None:
        """Forget buffered audio and scores (after a detection or a stream break)."""
        ...


@dataclass(frozen=True)
class Transcript:
    """Text recognised from one command."""

    text: str
    """Recognised text, stripped."""
    language: str
    """Language code (``en``)."""
    audio_seconds: float
    """Length of the audio transcribed."""
    processing_ms: float
    """Wall time spent transcribing."""
    others: Callable[[], Iterator[str]] | None = field(default=None, compare=False, repr=False)
    """Further readings of the same audio, most likely first, each decoded from the encoding
    already made only when the one before it is passed over: without the home's vocabulary
    bias, then a beam search's n best. The command path walks them when ``text`` does not
    parse, and takes the first that does."""


class SpeechToText(Protocol):
    """Transcribes one VAD-bounded command."""

    def transcribe(self, audio: AudioChunk) -> Transcript:
        """Transcribe ``audio`` (16 kHz mono); blocking, run it in a worker thread."""
        ...


@dataclass(frozen=True)
class IntentResult:
    """What a sentence asks for; ``intent`` None means not understood (not an error)."""

    text: str
    """The sentence recognised."""
    intent: str | None
    """Home Assistant intent name (``HassTurnOn``), or None when not understood."""
    slots: Mapping[str, SlotValue] = field(default_factory=dict)
    """Typed slot values (``brightness``: 50, ``area``: ``kitchen``, ...)."""
    targets: Sequence[str] = ()
    """Entity ids the intent acts on; only ids from the registry, ever."""
    confidence: float = 0.0
    """0-1; below ``intent.min_confidence`` the result counts as not understood."""
    path: IntentPath = "none"
    """Which recogniser produced the result."""
    latency_ms: float = 0.0
    """Time spent recognising."""
    response: str | None = None
    """Home Assistant's response key of the template matched (``which``, ``how_many``, ...)."""
    alternatives: Sequence[str] = ()
    """Entity ids named about equally well when ``targets`` is empty: the command path asks
    which one was meant ("the kitchen light or the counter lights?"), it never guesses."""

    @property
    def understood(self) -> bool:
        """Whether an intent was recognised."""
        return self.intent is not None


class IntentRecognizer(Protocol):
    """Turns a transcript into an intent confined to the registry."""

    def recognize(self, text: str, *, area: str | None = None) -> IntentResult:
        """Recognise ``text`` said in ``area`` (the satellite's own area by default)."""
        ...


class TextToSpeech(Protocol):
    """Speaks text, sentence by sentence so playback can start early."""

    def synthesize(self, text: str) -> Iterator[AudioChunk]:
        """Yield audio per sentence, each chunk carrying the voice's own format."""
        ...
