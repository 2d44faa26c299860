"""Conversion to the internal format: decode PCM, mix to mono, resample to 16 kHz, int16.

:class:`Converter` is streaming (state carried between blocks), so a microphone at 48 kHz
and a whole WAV file go through the same code. Resampling is a windowed-sinc low-pass
(when the rate goes down) followed by linear interpolation: plenty for speech models.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from edge_os.audio.format import INTERNAL_FORMAT, AudioFormat
from edge_os.errors import AudioError, ErrorCode, MissingDependencyError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

SUPPORTED_WIDTHS = (1, 2, 3, 4)
"""Bytes per integer sample: unsigned 8-bit, signed 16/24/32-bit little-endian."""
_TAPS = 63


def decode(pcm: bytes, fmt: AudioFormat, *, is_float: bool = False) -> npt.NDArray[np.float32]:
    """Little-endian PCM to float32 in [-1, 1], shape ``(frames, channels)``."""
    import numpy as np

    if is_float:
        if fmt.width not in (4, 8):
            raise AudioError(ErrorCode.AUDIO_FORMAT, f"{8 * fmt.width}-bit float is not supported")
        data = np.frombuffer(pcm, dtype="<f4" if fmt.width == 4 else "<f8")
        samples = np.nan_to_num(data.astype(np.float32)).clip(-1.0, 1.0)
    elif fmt.width == 1:
        samples = (np.frombuffer(pcm, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif fmt.width == 2:
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    elif fmt.width == 3:
        raw = np.frombuffer(pcm, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        samples = ints.astype(np.float32) / float(1 << 23)
    elif fmt.width == 4:
        samples = (np.frombuffer(pcm, dtype="<i4").astype(np.float64) / 2**31).astype(np.float32)
    else:
        raise AudioError(ErrorCode.AUDIO_FORMAT, f"{8 * fmt.width}-bit PCM is not supported")
    return samples.reshape(-1, fmt.channels)


class Converter:
    """Streaming conversion of float frames ``(n, channels)`` at ``rate`` to internal int16."""

    def __init__(self, rate: int) -> None:
        try:
            import numpy as np
        except ImportError:
            raise MissingDependencyError("numpy", "audio") from None

        if rate < 1000:
            raise AudioError(ErrorCode.AUDIO_FORMAT, f"sample rate {rate} Hz is not supported")
        self.rate = rate
        self._step = rate / INTERNAL_FORMAT.rate
        self._kernel: npt.NDArray[np.float32] | None = None
        if rate > INTERNAL_FORMAT.rate:
            cutoff = 0.45 * INTERNAL_FORMAT.rate / rate  # cycles per input sample
            n = np.arange(_TAPS) - (_TAPS - 1) / 2
            kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(_TAPS)
            self._kernel = (kernel / kernel.sum()).astype(np.float32)
        # half a kernel of zeros in front centres the filter: no delay, the last half-kernel
        # of input waits for the next block (or :meth:`flush`)
        self._history = np.zeros(0 if self._kernel is None else _TAPS // 2, dtype=np.float32)
        self._tail = np.zeros(0, dtype=np.float32)
        self._position = 0.0
        """Fractional input index (into tail + block) of the next output sample."""

    def convert(self, frames: npt.NDArray[np.float32]) -> bytes:
        """Mix ``frames`` to mono, resample, and return 16-bit little-endian PCM."""
        import numpy as np

        mono = frames.mean(axis=1) if frames.ndim == 2 else frames
        mono = mono.astype(np.float32)
        if self.rate == INTERNAL_FORMAT.rate:
            return _to_int16(mono)
        if self._kernel is not None:
            padded = np.concatenate((self._history, mono))
            self._history = padded[len(padded) - (_TAPS - 1) :]
            mono = np.convolve(padded, self._kernel, mode="valid").astype(np.float32)
        signal = np.concatenate((self._tail, mono))
        last = len(signal) - 1
        if last < 1:
            self._tail = signal
            return b""
        count = max(0, math.floor((last - self._position) / self._step) + 1)
        points = self._position + self._step * np.arange(count)
        out = np.interp(points, np.arange(len(signal)), signal).astype(np.float32)
        self._position += self._step * count
        keep = min(math.floor(self._position), last)
        self._tail = signal[keep:]
        self._position -= keep
        return _to_int16(out)

    def flush(self) -> bytes:
        """PCM still held back by the filter (call once at the end of a stream)."""
        if self._kernel is None:
            return b""
        import numpy as np

        return self.convert(np.zeros((_TAPS // 2, 1), dtype=np.float32))


def _to_int16(samples: npt.NDArray[np.float32]) -> bytes:
    import numpy as np

    scaled = np.clip(np.round(samples * 32768.0), -32768, 32767)
    return scaled.astype("<i2").tobytes()
