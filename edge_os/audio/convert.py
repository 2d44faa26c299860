"""Conversion to the internal format: decode PCM, mix to mono, resample to 16 kHz, int16.

:class:`Converter` is streaming (state carried between blocks), so a microphone at 48 kHz
and a whole WAV file go through the same code; the rate goes through
:class:`~edge_os.audio.resample.Resampler`, the one the sinks use too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from edge_os.audio.format import INTERNAL_FORMAT, AudioFormat
from edge_os.audio.resample import Resampler
from edge_os.errors import AudioError, ErrorCode, MissingDependencyError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

SUPPORTED_WIDTHS = (1, 2, 3, 4)
"""Bytes per integer sample: unsigned 8-bit, signed 16/24/32-bit little-endian."""


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
            import numpy  # noqa: F401 - fail here, naming the extra, not at the first block
        except ImportError:
            raise MissingDependencyError("numpy", "audio") from None

        if rate < 1000:
            raise AudioError(ErrorCode.AUDIO_FORMAT, f"sample rate {rate} Hz is not supported")
        self.rate = rate
        self._resampler = (
            None if rate == INTERNAL_FORMAT.rate else Resampler(rate, INTERNAL_FORMAT.rate)
        )

    def convert(self, frames: npt.NDArray[np.float32]) -> bytes:
        """Mix ``frames`` to mono, resample, and return 16-bit little-endian PCM."""
        import numpy as np

        mono = frames.mean(axis=1) if frames.ndim == 2 else frames
        mono = mono.astype(np.float32)
        if self._resampler is None:
            return _to_int16(mono)
        return _to_int16(self._resampler(mono))

    def flush(self) -> bytes:
        """PCM still held back by the filter (call once at the end of a stream)."""
        if self._resampler is None:
            return b""
        return _to_int16(self._resampler.flush())


def _to_int16(samples: npt.NDArray[np.float32]) -> bytes:
    import numpy as np

    scaled = np.clip(np.round(samples * 32768.0), -32768, 32767)
    return scaled.astype("<i2").tobytes()
