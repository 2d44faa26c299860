"""Transcribing a command at its first pause, while the VAD waits to see if it goes on.

The VAD declares the end of a command only after ``vad.silence_seconds`` (0.7 s) of
silence, but it sees the silence start after 0.2 s. At that point the front end hands over
the command so far (:class:`~edge_os.pipeline.frontend.PausedSpeech`), and
:class:`Speculator` starts transcribing it in a thread of its own. If the speaker stops,
the command audio at speech-end is the same audio, byte for byte, and the transcription
already made (or under way) is used: the command path waits for it instead of starting
over. If the speaker goes on, that transcription is thrown away (a *wasted* decode) and
the next pause starts another. Counts of both are in ``edge-os status``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from edge_os.audio.format import AudioChunk
from edge_os.stages.protocols import Transcript

_LOGGER = logging.getLogger(__name__)

Transcribe = Callable[[AudioChunk], Transcript]


@dataclass(frozen=True)
class _Guess:
    offset: int
    samples: int
    heard: Future[Transcript]


class Speculator:
    """At most one transcription ahead; matched to the command audio by its exact range."""

    def __init__(self, transcribe: Transcribe) -> None:
        self._transcribe = transcribe
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="edge-os-speculate")
        self._lock = threading.Lock()
        self._guess: _Guess | None = None
        self.used = 0
        """Commands whose transcription was ready (or under way) at speech-end."""
        self.wasted = 0
        """Transcriptions thrown away because the speaker went on (or stopped listening)."""

    def paused(self, audio: AudioChunk) -> None:
        """The command so far, at a pause: start transcribing it."""
        heard = self._pool.submit(self._transcribe, audio)
        with self._lock:
            if self._guess is not None:
                self.wasted += 1  # an earlier pause, and then more speech
                self._guess.heard.cancel()  # not begun yet: never run it
            self._guess = _Guess(audio.offset, audio.num_samples, heard)

    def take(self, audio: AudioChunk) -> Future[Transcript] | None:
        """The transcription started for exactly ``audio``, or None (nothing matches)."""
        with self._lock:
            guess, self._guess = self._guess, None
            if guess is None:
                return None
            if (guess.offset, guess.samples) == (audio.offset, audio.num_samples):
                self.used += 1
                return guess.heard
            self.wasted += 1
        guess.heard.cancel()
        return None

    def close(self) -> None:
        """Finish what is under way; take nothing new."""
        self._pool.shutdown(wait=True)

    def counts(self) -> dict[str, int]:
        """``{"used": ..., "wasted": ...}`` for the status."""
        with self._lock:
            return {"used": self.used, "wasted": self.wasted}
