"""Streaming, interruptible playback of spoken answers into an :class:`AudioSink`.

A producer thread pulls sentences from the TTS iterator into a queue while the caller's
thread writes them to the sink in blocks of ``block_ms``: the first sentence plays while
later ones are synthesized. ``stop()`` (barge-in: a new wake word, "stop") takes effect
before the next block is written, so at most one block plays after it; the sink's
buffered audio is dropped. Volume and mute can change from any thread, mid-answer.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from edge_os.audio.format import AudioChunk
from edge_os.audio.sinks import AudioSink, WavFileSink, create_sink
from edge_os.config.settings import AudioOutputSettings
from edge_os.errors import AudioError, EdgeOSError, ErrorCode, TtsError

_LOGGER = logging.getLogger(__name__)

Clock = Callable[[], float]
_END = object()
PRODUCER_JOIN_SECONDS = 2.0
"""The longest ``play`` waits, once stopped, for the synthesis under way to end."""


@dataclass(frozen=True)
class PlaybackResult:
    """What one ``play`` call did."""

    chunks: int
    """Chunks received from the producer (sentences, or pieces of them)."""
    audio_seconds: float
    """Audio written to the sink."""
    first_audio_ms: float | None
    """From ``play`` to the first block handed to the sink; None when nothing played."""
    total_ms: float
    """From ``play`` to its return (after the sink drained, or the stop)."""
    interrupted: bool
    """``stop()`` cut the playback short."""
    blocks: int
    """Blocks written to the sink."""
    error: EdgeOSError | None = None
    """A sink or synthesis failure that ended playback early (reported, not raised)."""


class Player:
    """Plays chunk streams into one sink; one ``play`` at a time, ``stop`` from any thread."""

    def __init__(
        self,
        sink: AudioSink,
        *,
        block_ms: int = 50,
        clock: Clock = time.monotonic,
        queue_sentences: int = 8,
    ) -> None:
        self.sink = sink
        self.block_ms = block_ms
        self._clock = clock
        self._stop = threading.Event()
        """The stop event of the current (or last) ``play``; a fresh one per call."""
        self._play_lock = threading.Lock()
        self._queue_size = queue_sentences

    def set_volume(self, percent: int) -> None:
        """Set the volume 0-100 (thread-safe; applies from the next block)."""
        self.sink.set_volume(percent)

    def set_muted(self, muted: bool) -> None:
        """Mute or unmute (thread-safe; applies from the next block)."""
        self.sink.set_muted(muted)

    def stop(self) -> None:
        """Interrupt the current playback before its next block (thread-safe)."""
        self._stop.set()

    @property
    def playing(self) -> bool:
        """Whether a ``play`` call is running."""
        return self._play_lock.locked()

    def play(self, chunks: Iterable[AudioChunk]) -> PlaybackResult:
        """Play ``chunks`` as they are produced; returns when done, stopped or failed."""
        with self._play_lock:
            stop = self._stop = threading.Event()
            start = self._clock()
            pending: queue.Queue[object] = queue.Queue(self._queue_size)
            producer = threading.Thread(
                target=_produce, args=(iter(chunks), pending, stop), name="tts", daemon=True
            )
            producer.start()
            received = blocks = 0
            seconds = 0.0
            first: float | None = None
            error: EdgeOSError | None = None
            interrupted = False
            try:
                while not (interrupted := stop.is_set()):
                    item = _get(pending, stop)
                    if item is _END:
                        break
                    if isinstance(item, EdgeOSError):
                        error = item
                        break
                    if not isinstance(item, AudioChunk):
                        continue  # _get returned None: stopped while waiting
                    received += 1
                    for block in self._blocks(item):
                        if stop.is_set():
                            break
                        if first is None:
                            first = self._clock()
                        self.sink.write(block)
                        blocks += 1
                        seconds += block.seconds
                if interrupted:
                    self.sink.abort()
                else:  # finished, or synthesis failed: let what was written play out
                    self.sink.drain()
            except AudioError as err:
                _LOGGER.warning("audio output failed: %s", err)
                error = err
            finally:
                stop.set()  # tells the producer to quit
                # ... and waits for the piece it is making: a process that exits while
                # onnxruntime runs in a daemon thread aborts ("terminate called").
                producer.join(timeout=PRODUCER_JOIN_SECONDS)
            return PlaybackResult(
                chunks=received,
                audio_seconds=round(seconds, 3),
                first_audio_ms=None if first is None else (first - start) * 1000.0,
                total_ms=(self._clock() - start) * 1000.0,
                interrupted=interrupted,
                blocks=blocks,
                error=error,
            )

    def _blocks(self, chunk: AudioChunk) -> Iterator[AudioChunk]:
        frame = chunk.format.width * chunk.format.channels
        step = max(1, chunk.format.rate * self.block_ms // 1000) * frame
        for start in range(0, len(chunk.pcm), step):
            yield AudioChunk(
                chunk.pcm[start : start + step], chunk.format, chunk.offset + start // frame
            )


def _get(pending: queue.Queue[object], stop: threading.Event) -> object:
    """The next queued item, or None once ``stop`` is set."""
    while not stop.is_set():
        try:
            return pending.get(timeout=0.02)
        except queue.Empty:
            continue
    return None


def _put(pending: queue.Queue[object], item: object, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            pending.put(item, timeout=0.02)
            return
        except queue.Full:
            continue


def _produce(
    chunks: Iterator[AudioChunk], pending: queue.Queue[object], stop: threading.Event
) -> None:
    """Pull sentences from the TTS iterator into ``pending`` until done or stopped."""
    try:
        for chunk in chunks:
            _put(pending, chunk, stop)
            if stop.is_set():
                break
    except EdgeOSError as err:
        _put(pending, err, stop)
    except Exception as err:  # a bug in an engine must not kill playback silently
        _LOGGER.exception("text-to-speech failed")
        _put(pending, TtsError(ErrorCode.TTS_FAILED, f"text-to-speech failed: {err}"), stop)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    _put(pending, _END, stop)


def create_player(settings: AudioOutputSettings, wav: Path | None = None) -> Player:
    """A player on the sink ``audio.output`` names (or a WAV file), with volume and mute."""
    sink: AudioSink
    if wav is not None:
        sink = WavFileSink(wav)
    else:
        sink = create_sink(
            settings.sink,
            device=settings.device,
            file=settings.file,
            rate=settings.sample_rate,
            volume_percent=settings.volume_percent,
            muted=settings.muted,
        )
    return Player(sink, block_ms=settings.block_ms)
