"""Audio sinks behind one interface: a sound card (sounddevice), a WAV file, or nowhere.

Every sink takes :class:`AudioChunk` in any 16-bit format, applies volume and mute, and
converts to its own output format (channels, rate) before writing. Volume is a linear
amplitude gain of ``percent / 100``. Mute writes silence of the same length (a WAV file
keeps its timing, a sound card keeps its clock, barge-in counts blocks the same way).
``set_volume``/``set_muted`` may be called from any thread (MQTT, GPIO callbacks).
"""

from __future__ import annotations

import logging
import threading
import wave
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from edge_os.audio.format import AudioChunk, AudioFormat
from edge_os.audio.resample import Resampler
from edge_os.errors import AudioError, ErrorCode, MissingDependencyError, UsageError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

_LOGGER = logging.getLogger(__name__)


class AudioSink(Protocol):
    """Where audio goes: blocking ``write``, then ``drain`` or ``abort``, then ``close``."""

    def write(self, chunk: AudioChunk) -> None:
        """Play or store ``chunk`` (any 16-bit format); AudioError on a device failure."""
        ...

    def drain(self) -> None:
        """Wait until everything written has been played."""
        ...

    def abort(self) -> None:
        """Drop whatever is buffered and not yet played (barge-in)."""
        ...

    def close(self) -> None:
        """Release the device or file; the sink may be written again after (it reopens)."""
        ...

    def set_volume(self, percent: int) -> None:
        """Set the volume, 0-100 (thread-safe)."""
        ...

    def set_muted(self, muted: bool) -> None:
        """Mute or unmute (thread-safe)."""
        ...


def check_volume(percent: int) -> int:
    """``percent`` if it is an integer 0-100; UsageError otherwise."""
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise UsageError(ErrorCode.CONFIG_INVALID, f"volume must be 0-100 percent, got {percent!r}")
    return percent


def convert(
    chunk: AudioChunk,
    target: AudioFormat,
    gain: float = 1.0,
    resampler: Resampler | None = None,
) -> bytes:
    """``chunk``'s PCM scaled by ``gain``, mixed to ``target``'s channels, resampled to its rate.

    Pass the stream's ``resampler`` to convert block after block without seams; without
    one, the chunk is resampled on its own. Only 16-bit PCM in and out.
    """
    import numpy as np

    if chunk.format.width != 2 or target.width != 2:
        raise AudioError(
            ErrorCode.AUDIO_FORMAT, f"sinks play 16-bit audio, got {chunk.format} -> {target}"
        )
    if chunk.format == target and gain == 1.0:
        return chunk.pcm
    frames = chunk.samples().astype(np.float32).reshape(-1, chunk.format.channels)
    if chunk.format.channels == target.channels and chunk.format.rate == target.rate:
        out = frames * np.float32(gain)
    else:
        mono: npt.NDArray[np.float32] = frames.mean(axis=1) * np.float32(gain)
        if chunk.format.rate != target.rate:
            if resampler is None or resampler.in_rate != chunk.format.rate:
                resampler = Resampler(chunk.format.rate, target.rate)
            mono = resampler(mono)
        out = np.repeat(mono[:, None], target.channels, axis=1)
    return _to_pcm(out)


def _to_pcm(frames: npt.NDArray[np.float32]) -> bytes:
    import numpy as np

    return bytes(np.clip(np.round(frames), -32768, 32767).astype("<i2").tobytes())


class _StreamState:
    """The resampler of the stream a sink is writing, rebuilt when the input rate changes."""

    def __init__(self) -> None:
        self.resampler: Resampler | None = None

    def for_chunk(self, chunk: AudioChunk, target: AudioFormat) -> Resampler | None:
        """The resampler to use for ``chunk`` (None when no resampling is needed)."""
        if chunk.format.rate == target.rate:
            return None
        current = self.resampler
        if current is None or (current.in_rate, current.out_rate) != (
            chunk.format.rate,
            target.rate,
        ):
            self.resampler = Resampler(chunk.format.rate, target.rate)
        return self.resampler

    def flush(self, target: AudioFormat) -> bytes:
        """PCM the resampler still holds at the end of a stream, in ``target``'s layout."""
        import numpy as np

        if self.resampler is None:
            return b""
        mono = self.resampler.flush()
        self.resampler = None
        return _to_pcm(np.repeat(mono[:, None], target.channels, axis=1))

    def reset(self) -> None:
        """Forget the held-back samples (a new stream starts)."""
        self.resampler = None


class GainSink:
    """Volume and mute shared by every sink."""

    def __init__(self, volume_percent: int = 100, muted: bool = False) -> None:
        self._lock = threading.Lock()
        self._volume = check_volume(volume_percent)
        self._muted = muted

    def set_volume(self, percent: int) -> None:
        """Set the volume, 0-100 (thread-safe; applies from the next block)."""
        checked = check_volume(percent)
        with self._lock:
            self._volume = checked

    def set_muted(self, muted: bool) -> None:
        """Mute or unmute (thread-safe; applies from the next block)."""
        with self._lock:
            self._muted = bool(muted)

    @property
    def volume_percent(self) -> int:
        """Current volume."""
        with self._lock:
            return self._volume

    @property
    def muted(self) -> bool:
        """Whether output is muted."""
        with self._lock:
            return self._muted

    def _gain(self) -> float:
        with self._lock:
            return 0.0 if self._muted else self._volume / 100.0


class NullSink(GainSink):
    """Discards audio, counting what it was given (tests, headless runs)."""

    def __init__(self, volume_percent: int = 100, muted: bool = False) -> None:
        super().__init__(volume_percent, muted)
        self.frames_written = 0
        """Samples per channel written since creation."""
        self.writes = 0
        """Number of ``write`` calls."""

    def write(self, chunk: AudioChunk) -> None:
        """Count ``chunk``."""
        self.frames_written += chunk.num_samples
        self.writes += 1

    def drain(self) -> None:
        """Nothing is buffered."""

    def abort(self) -> None:
        """Nothing is buffered."""

    def close(self) -> None:
        """Nothing to release."""


class WavFileSink(GainSink):
    """Writes a 16-bit WAV file; the format is ``format`` or that of the first chunk written.

    The file is (re)created on the first write after construction, ``drain``, ``abort`` or
    ``close``: it holds the last answer (or earcon) played.
    """

    def __init__(
        self,
        path: Path,
        format: AudioFormat | None = None,
        volume_percent: int = 100,
        muted: bool = False,
    ) -> None:
        super().__init__(volume_percent, muted)
        self.path = Path(path)
        self._fixed = format
        self.format: AudioFormat | None = format
        """Format of the file being written (None until the first write)."""
        self._file: wave.Wave_write | None = None
        self._state = _StreamState()

    def write(self, chunk: AudioChunk) -> None:
        """Append ``chunk`` converted to the file's format."""
        if self._file is None:
            self.format = self._fixed or AudioFormat(chunk.format.rate, 2, chunk.format.channels)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                handle = wave.open(str(self.path), "wb")  # noqa: SIM115 - kept open across writes
            except OSError as err:
                raise AudioError(ErrorCode.AUDIO_DEVICE, f"{self.path}: {err.strerror}") from err
            handle.setnchannels(self.format.channels)
            handle.setsampwidth(2)
            handle.setframerate(self.format.rate)
            self._file = handle
        assert self.format is not None  # set with the file, above
        try:
            resampler = self._state.for_chunk(chunk, self.format)
            self._file.writeframes(convert(chunk, self.format, self._gain(), resampler))
        except OSError as err:
            raise AudioError(ErrorCode.AUDIO_DEVICE, f"{self.path}: {err.strerror}") from err

    def drain(self) -> None:
        """Finish the file: it holds one answer; the next write starts a new file."""
        self.close()

    def abort(self) -> None:
        """Finish the file with what was played up to the interruption."""
        self.close()

    def close(self) -> None:
        """Write what the resampler holds back and finish the WAV header."""
        if self._file is not None:
            assert self.format is not None  # set with the file
            try:
                self._file.writeframes(self._state.flush(self.format))
                self._file.close()
            except OSError as err:
                raise AudioError(ErrorCode.AUDIO_DEVICE, f"{self.path}: {err.strerror}") from err
            finally:
                self._file = None
        self._state.reset()


class SoundDeviceSink(GainSink):
    """A sound card through PortAudio; the stream opens at the first chunk's rate.

    A device that fails or disappears raises AudioError (``audio-device``) from ``write``;
    the stream is dropped and the next write tries to open it again.
    """

    def __init__(
        self,
        device: str | int | None = None,
        *,
        rate: int | None = None,
        channels: int = 1,
        volume_percent: int = 100,
        muted: bool = False,
    ) -> None:
        super().__init__(volume_percent, muted)
        try:
            import sounddevice
        except (ImportError, OSError):
            raise MissingDependencyError("sounddevice", "audio") from None
        self._sd: Any = sounddevice
        self.device = device
        self._rate = rate
        self._channels = channels
        self._stream: Any = None
        self._state = _StreamState()
        self.format: AudioFormat | None = None
        """Format of the open stream (None while closed)."""

    def _open(self, chunk: AudioChunk) -> None:
        fmt = AudioFormat(self._rate or chunk.format.rate, 2, self._channels)
        try:
            stream = self._sd.RawOutputStream(
                samplerate=fmt.rate, channels=fmt.channels, dtype="int16", device=self.device
            )
            stream.start()
        except (self._sd.PortAudioError, ValueError) as err:
            raise AudioError(
                ErrorCode.AUDIO_DEVICE, f"cannot open output device {self.device!r}: {err}"
            ) from err
        self._stream, self.format = stream, fmt

    def write(self, chunk: AudioChunk) -> None:
        """Play ``chunk``; blocks until it fits in the device buffer."""
        if self._stream is None:
            self._open(chunk)
        assert self.format is not None  # set by _open
        if chunk.format.rate != self.format.rate and self._rate is None:
            self.close()  # a new voice rate: reopen rather than resample
            self._open(chunk)
        try:
            resampler = self._state.for_chunk(chunk, self.format)
            self._stream.write(convert(chunk, self.format, self._gain(), resampler))
        except self._sd.PortAudioError as err:
            self._drop()
            raise AudioError(
                ErrorCode.AUDIO_DEVICE, f"output device {self.device!r} failed: {err}"
            ) from err

    def drain(self) -> None:
        """Wait until the device has played everything (stop waits for the buffer)."""
        if self._stream is not None:
            try:
                self._write_held()
                self._stream.stop()
                self._stream.start()
            except self._sd.PortAudioError as err:
                self._drop()
                raise AudioError(ErrorCode.AUDIO_DEVICE, f"output device failed: {err}") from err

    def abort(self) -> None:
        """Drop buffered audio at once."""
        self._state.reset()
        if self._stream is not None:
            try:
                self._stream.abort()
                self._stream.start()
            except self._sd.PortAudioError:
                self._drop()

    def close(self) -> None:
        """Close the stream (after letting it play out)."""
        if self._stream is not None:
            try:
                self._write_held()
                self._stream.stop()
            except self._sd.PortAudioError as err:
                _LOGGER.warning("output device failed while closing: %s", err)
            self._drop()

    def _write_held(self) -> None:
        """Play what the resampler still holds at the end of a stream."""
        assert self.format is not None  # set by _open
        held = self._state.flush(self.format)
        if held:
            self._stream.write(held)

    def _drop(self) -> None:
        self._state.reset()
        stream, self._stream, self.format = self._stream, None, None
        try:
            stream.close(ignore_errors=True)
        except Exception:  # a vanished device can fail in any way on close
            _LOGGER.debug("closing a failed output stream", exc_info=True)


def create_sink(
    sink: str,
    *,
    device: str | int | None = None,
    file: Path | None = None,
    rate: int | None = None,
    volume_percent: int = 100,
    muted: bool = False,
) -> AudioSink:
    """The sink named in ``audio.output.sink``; ``rate`` None keeps each chunk's own rate."""
    if sink == "null":
        return NullSink(volume_percent, muted)
    if sink == "file":
        if file is None:
            raise UsageError(
                ErrorCode.CONFIG_INVALID, "audio.output.file is required with sink: file"
            )
        fmt = None if rate is None else AudioFormat(rate, 2, 1)
        return WavFileSink(file, fmt, volume_percent=volume_percent, muted=muted)
    if sink == "sounddevice":
        return SoundDeviceSink(device, rate=rate, volume_percent=volume_percent, muted=muted)
    raise UsageError(ErrorCode.CONFIG_INVALID, f"unknown audio sink {sink!r}")
