"""Audio sources behind one interface: microphone, WAV file, raw PCM on stdin, mock/replay.

Every source yields :class:`AudioChunk` blocks in the internal format (16 kHz, 16-bit,
mono) with continuous stream offsets; conversion happens here, once, at the edge. Build
one from the config with :func:`open_source`. The microphone source survives a device
that disappears: it reports the error, waits (exponential back-off) and opens it again.
"""

from __future__ import annotations

import logging
import os
import select
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from edge_os.audio.convert import Converter, decode
from edge_os.audio.format import INTERNAL_FORMAT, AudioChunk, AudioFormat
from edge_os.audio.wav import read_wav
from edge_os.config.settings import AudioInputSettings
from edge_os.errors import AudioError, ErrorCode, MissingDependencyError, UsageError
from edge_os.runtime.backoff import Backoff

_LOGGER = logging.getLogger(__name__)

ErrorCallback = Callable[[AudioError], None]
MOCK_SILENCE_SECONDS = 5.0
"""What the mock source plays when no file is configured."""
STDIN_FILENO = 0
STDIN_POLL_SECONDS = 0.1
DEVICE_RETRY_INITIAL_SECONDS = 0.5
"""Delay before the first attempt to reopen an audio device that failed."""
"""How long a stdin read waits before it looks whether the source was closed."""


class AudioSource(Protocol):
    """Where audio comes from; iterate :meth:`chunks` for internal-format blocks."""

    name: str
    """Human-readable description (``file input.wav``, ``microphone default``)."""
    live: bool
    """Whether blocks come at the pace they were spoken (a microphone, a stream), not as
    fast as they are read (a file): only live audio takes part in wake-word arbitration."""

    def chunks(self) -> Iterator[AudioChunk]:
        """Blocks of 16 kHz mono int16 audio, offsets continuous from 0, until the end."""
        ...

    def close(self) -> None:
        """Stop producing audio and release the device (safe to call twice)."""
        ...


def block_samples(block_ms: int) -> int:
    """Samples (16 kHz) in one block of ``block_ms`` milliseconds."""
    return INTERNAL_FORMAT.rate * block_ms // 1000


def _split(audio: AudioChunk, block_ms: int, start: int = 0) -> Iterator[AudioChunk]:
    size = block_samples(block_ms) * INTERNAL_FORMAT.width
    for index in range(0, len(audio.pcm), size):
        pcm = audio.pcm[index : index + size]
        yield AudioChunk(pcm, offset=start + index // INTERNAL_FORMAT.width)


class MockSource:
    """Replays audio it was given (or silence): the shipped stand-in for a microphone.

    ``paced``: each block comes when its time has come, as from a microphone (``edge-os
    bench``: what runs while the VAD waits out its silence is then timed as it runs in
    the service); otherwise as fast as it is read."""

    def __init__(
        self, audio: AudioChunk, *, block_ms: int = 80, name: str = "mock", paced: bool = False
    ) -> None:
        audio.require(INTERNAL_FORMAT)
        self.audio = audio
        self.block_ms = block_ms
        self.name = name
        self.live = paced
        self._closed = threading.Event()

    @classmethod
    def silence(cls, seconds: float, *, block_ms: int = 80) -> MockSource:
        """``seconds`` of digital silence."""
        samples = round(seconds * INTERNAL_FORMAT.rate)
        return cls(AudioChunk(bytes(2 * samples)), block_ms=block_ms, name="mock silence")

    def chunks(self) -> Iterator[AudioChunk]:
        """The audio in ``block_ms`` blocks (when paced, each at its time from the first)."""
        started = time.monotonic()
        for index, chunk in enumerate(_split(self.audio, self.block_ms, self.audio.offset)):
            wait = started + index * self.block_ms / 1000 - time.monotonic() if self.live else 0
            if self._closed.wait(wait) if wait > 0 else self._closed.is_set():
                return
            yield chunk

    def close(self) -> None:
        """Stop the replay."""
        self._closed.set()


class WavFileSource(MockSource):
    """A WAV file of any common layout, read and converted once when opened."""

    def __init__(self, path: Path, *, block_ms: int = 80) -> None:
        super().__init__(read_wav(path), block_ms=block_ms, name=f"file {path}")
        self.path = path


class StdinSource:
    """Raw little-endian PCM from stdin (or a given byte stream or file descriptor), live.

    stdin is read with :func:`os.read` on its descriptor, polled so :meth:`close` ends the
    iteration within :data:`STDIN_POLL_SECONDS`. Never through ``sys.stdin.buffer``: a
    buffered reader left locked by the (daemon) audio thread aborts the interpreter at
    shutdown ("Fatal Python error: _enter_buffered_busy") when SIGTERM stops the service.
    """

    live = True

    def __init__(
        self,
        stream: BinaryIO | int | None = None,
        *,
        format: AudioFormat = INTERNAL_FORMAT,
        block_ms: int = 80,
    ) -> None:
        if format.width not in (1, 2, 3, 4):
            raise UsageError(ErrorCode.AUDIO_FORMAT, f"raw PCM of {format} is not supported")
        self._stream = STDIN_FILENO if stream is None else stream
        self.format = format
        self.block_ms = block_ms
        self.name = f"stdin ({format})"
        self._stop = threading.Event()

    def chunks(self) -> Iterator[AudioChunk]:
        """Blocks of ``block_ms`` as they arrive (a shorter last one); ends at end of stream."""
        frame = self.format.width * self.format.channels
        block_bytes = self.format.rate * self.block_ms // 1000 * frame
        converter = None if self.format == INTERNAL_FORMAT else Converter(self.format.rate)
        pending = bytearray()
        offset = 0
        for data in self._reads(block_bytes):
            pending += data
            while len(pending) >= block_bytes or (not data and len(pending) >= frame):
                usable = min(len(pending), block_bytes)
                usable -= usable % frame
                pcm = bytes(pending[:usable])
                del pending[:usable]
                if converter is not None:
                    pcm = converter.convert(decode(pcm, self.format))
                if pcm:
                    chunk = AudioChunk(pcm, offset=offset)
                    offset = chunk.end
                    yield chunk
        if pending and not self._stop.is_set():
            _LOGGER.warning("stdin ended inside a frame: %d trailing byte(s) ignored", len(pending))

    def close(self) -> None:
        """Stop reading (within a poll interval, even while no data arrives)."""
        self._stop.set()

    def _reads(self, size: int) -> Iterator[bytes]:
        """What the stream delivers, up to ``size`` bytes at a time; ``b""`` once at its end."""
        stream = self._stream
        while not self._stop.is_set():
            if isinstance(stream, int):
                data = self._read_fd(stream, size)
                if data is None:
                    continue  # nothing yet: look at the stop flag again
            else:
                data = stream.read(size)
            yield data
            if not data:
                return

    def _read_fd(self, fd: int, size: int) -> bytes | None:
        try:
            ready, _, _ = select.select([fd], [], [], STDIN_POLL_SECONDS)
            return os.read(fd, size) if ready else None
        except BlockingIOError:  # a non-blocking descriptor with nothing to read after all
            return None
        except OSError as err:
            raise AudioError(
                ErrorCode.AUDIO_DEVICE, f"cannot read {self.name}: {err.strerror or err}"
            ) from err


StreamOpener = Callable[[str | int | None, int, int, int], Any]
"""(device, rate, channels, frames per block) -> a started stream with read/close."""


def _open_sounddevice(device: str | int | None, rate: int, channels: int, frames: int) -> Any:
    try:
        import sounddevice as sd
    except (ImportError, OSError):  # OSError: the PortAudio library itself is missing
        raise MissingDependencyError("sounddevice (and libportaudio2)", "audio") from None
    stream = sd.RawInputStream(
        samplerate=rate, blocksize=frames, device=device, channels=channels, dtype="int16"
    )
    stream.start()
    return stream


class MicrophoneSource:
    """A sound card via PortAudio (``sounddevice``); reopened with back-off when it fails.

    Errors are logged and handed to ``on_error`` (the service turns them into events);
    the iteration itself only ends on :meth:`close`.
    """

    live = True

    def __init__(
        self,
        *,
        device: str | int | None = None,
        sample_rate: int = INTERNAL_FORMAT.rate,
        channels: int = 1,
        block_ms: int = 80,
        backoff: Backoff | None = None,
        on_error: ErrorCallback | None = None,
        open_stream: StreamOpener = _open_sounddevice,
    ) -> None:
        self.device = device
        self.format = AudioFormat(rate=sample_rate, width=2, channels=channels)
        self.block_ms = block_ms
        self.backoff = backoff or Backoff(DEVICE_RETRY_INITIAL_SECONDS)
        self.on_error = on_error
        self._open_stream = open_stream
        self._stop = threading.Event()
        self.name = f"microphone {device if device is not None else 'default'}"
        self.overflows = 0
        """Reads where the sound card had dropped audio (the reader fell behind)."""

    def chunks(self) -> Iterator[AudioChunk]:
        """Blocks from the device; a failure is reported and the device reopened."""
        frames = self.format.rate * self.block_ms // 1000
        offset = 0
        while not self._stop.is_set():
            try:
                stream = self._open_stream(
                    self.device, self.format.rate, self.format.channels, frames
                )
            except MissingDependencyError:
                raise
            except Exception as err:  # PortAudio raises its own untyped errors
                self._failed(f"cannot open {self.name}: {err}")
                continue
            converter = Converter(self.format.rate)
            try:
                while not self._stop.is_set():
                    data, overflowed = stream.read(frames)
                    if overflowed:
                        self.overflows += 1
                        _LOGGER.warning("%s: input overflow (audio was dropped)", self.name)
                    pcm = converter.convert(decode(bytes(data), self.format))
                    self.backoff.succeeded()
                    chunk = AudioChunk(pcm, offset=offset)
                    offset = chunk.end
                    yield chunk
            except Exception as err:  # a device that disappears mid-stream
                self._failed(f"{self.name} failed: {err}")
            finally:
                _close_quietly(stream)

    def close(self) -> None:
        """Stop after the current block (and interrupt a back-off wait)."""
        self._stop.set()

    def _failed(self, message: str) -> None:
        error = AudioError(ErrorCode.AUDIO_DEVICE, message)
        delay = self.backoff.next_delay()
        _LOGGER.warning("%s; retrying in %.1f s", message, delay, extra={"code": error.code})
        if self.on_error is not None:
            self.on_error(error)
        self._stop.wait(delay)


def _close_quietly(stream: Any) -> None:
    try:
        stream.close()
    except Exception:  # closing a vanished device may fail too; nothing left to release
        _LOGGER.debug("closing the input stream failed", exc_info=True)


class NoSource:
    """No microphone (a hub): yields nothing until closed."""

    name = "none"
    live = True

    def __init__(self) -> None:
        self._closed = threading.Event()

    def chunks(self) -> Iterator[AudioChunk]:
        """Nothing; returns once closed."""
        self._closed.wait()
        return
        yield

    def close(self) -> None:
        """End :meth:`chunks`."""
        self._closed.set()


def open_source(
    settings: AudioInputSettings,
    *,
    path: Path | None = None,
    on_error: ErrorCallback | None = None,
) -> AudioSource:
    """The source the config asks for; ``path`` (a WAV file) overrides it."""
    if path is not None:
        return WavFileSource(path, block_ms=settings.block_ms)
    if settings.source == "file":
        if settings.file is None:
            raise UsageError(
                ErrorCode.AUDIO_FORMAT, "audio.input.source is file: set audio.input.file"
            )
        return WavFileSource(settings.file, block_ms=settings.block_ms)
    if settings.source == "stdin":
        layout = AudioFormat(rate=settings.sample_rate, width=2, channels=settings.channels)
        return StdinSource(format=layout, block_ms=settings.block_ms)
    if settings.source == "mock":
        if settings.file is not None:
            return MockSource(read_wav(settings.file), block_ms=settings.block_ms, name="mock")
        return MockSource.silence(MOCK_SILENCE_SECONDS, block_ms=settings.block_ms)
    return MicrophoneSource(
        device=settings.device,
        sample_rate=settings.sample_rate,
        channels=settings.channels,
        block_ms=settings.block_ms,
        backoff=Backoff(DEVICE_RETRY_INITIAL_SECONDS, settings.reconnect_max_seconds),
        on_error=on_error,
    )
