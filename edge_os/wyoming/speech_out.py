"""Text in, Wyoming audio events out: sentence gathering for streamed text, audio framing.

Home Assistant (2025.7 and later) streams an answer's text to a TTS program that
advertises ``supports_synthesize_streaming`` as it is generated: ``synthesize-start``,
``synthesize-chunk``... ``synthesize-stop``. :class:`SentenceGatherer` hands out each
sentence once it is complete, so speech starts before the text is finished.
"""

from __future__ import annotations

from collections.abc import Iterator

from wyoming.audio import AudioChunk as WyomingChunk
from wyoming.event import Event

from edge_os.audio.format import AudioChunk
from edge_os.tts.text import split_sentences

SAMPLES_PER_EVENT = 1024
"""Samples in one ``audio-chunk`` sent (as Piper's own Wyoming server does)."""


class SentenceGatherer:
    """Streamed text -> complete sentences (``add`` as text arrives, ``finish`` at the end)."""

    def __init__(self, max_pending_chars: int) -> None:
        self._pending = ""
        self._max = max_pending_chars

    def add(self, text: str) -> list[str]:
        """Append ``text``; the sentences it completed (the last one may still grow)."""
        self._pending += text
        if len(self._pending) > self._max:
            raise ValueError(f"over {self._max} characters of text without a sentence end")
        pieces = split_sentences(self._pending)
        if len(pieces) < 2:
            return []
        # keep a trailing space: the next chunk may start with a word
        self._pending = pieces[-1] + (" " if self._pending[-1:].isspace() else "")
        return pieces[:-1]

    def finish(self) -> str:
        """What is left: the last sentence (may be empty)."""
        rest, self._pending = self._pending.strip(), ""
        return rest


def audio_events(chunk: AudioChunk) -> Iterator[Event]:
    """``audio-chunk`` events of ``SAMPLES_PER_EVENT`` samples carrying ``chunk``'s PCM."""
    fmt = chunk.format
    step = SAMPLES_PER_EVENT * fmt.width * fmt.channels
    for start in range(0, len(chunk.pcm), step):
        yield WyomingChunk(
            rate=fmt.rate,
            width=fmt.width,
            channels=fmt.channels,
            audio=chunk.pcm[start : start + step],
        ).event()
