"""The audio format every stage works in, and the chunk type that carries it.

Audio is converted once at the edge (source) to :data:`INTERNAL_FORMAT`; every buffer
carries its format so a stage can check what it was given instead of assuming.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from edge_os.errors import AudioError, ErrorCode

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt


@dataclass(frozen=True)
class AudioFormat:
    """PCM layout: samples per second, bytes per sample, interleaved channels."""

    rate: int
    """Samples per second per channel (Hz)."""
    width: int
    """Bytes per sample (2 = signed 16-bit little-endian)."""
    channels: int
    """Interleaved channels."""

    @property
    def bytes_per_second(self) -> int:
        """Bytes of PCM in one second of audio."""
        return self.rate * self.width * self.channels

    def __str__(self) -> str:
        return f"{self.rate} Hz, {8 * self.width}-bit, {self.channels} ch"


SAMPLE_RATE = 16000
"""Samples per second of the internal format: stream positions (offsets) count these."""
INTERNAL_FORMAT = AudioFormat(rate=SAMPLE_RATE, width=2, channels=1)
"""What wake word, VAD and STT consume: 16 kHz, signed 16-bit, mono."""


@dataclass(frozen=True)
class AudioChunk:
    """A run of PCM audio with its format and its position in the stream.

    ``offset`` counts samples (per channel) from the start of the stream, so events can
    name exact sample positions whatever the chunk size.
    """

    pcm: bytes
    """Raw little-endian PCM."""
    format: AudioFormat = INTERNAL_FORMAT
    """Layout of ``pcm``."""
    offset: int = 0
    """Index of the first sample in the stream (samples per channel)."""

    def __post_init__(self) -> None:
        frame = self.format.width * self.format.channels
        if len(self.pcm) % frame:
            raise AudioError(
                ErrorCode.AUDIO_FORMAT,
                f"{len(self.pcm)} bytes is not a whole number of {frame}-byte frames",
            )

    @property
    def num_samples(self) -> int:
        """Samples per channel in this chunk."""
        return len(self.pcm) // (self.format.width * self.format.channels)

    @property
    def seconds(self) -> float:
        """Duration of this chunk."""
        return self.num_samples / self.format.rate

    @property
    def end(self) -> int:
        """Stream index one past the last sample."""
        return self.offset + self.num_samples

    def level_dbfs(self) -> float:
        """RMS level of 16-bit audio in dBFS: 0 for a full-scale square wave, -120 for
        silence (or nothing)."""
        import math

        samples = self.samples().astype("float64")
        rms = math.sqrt(float((samples**2).mean())) if samples.size else 0.0
        return 20 * math.log10(rms / 32768) if rms > 0 else -120.0

    def samples(self) -> npt.NDArray[np.int16]:
        """The PCM as an int16 array (shape ``(n,)`` for mono, ``(n, channels)`` otherwise)."""
        import numpy as np

        if self.format.width != 2:
            raise AudioError(ErrorCode.AUDIO_FORMAT, f"expected 16-bit audio, got {self.format}")
        array = np.frombuffer(self.pcm, dtype="<i2")
        if self.format.channels > 1:
            array = array.reshape(-1, self.format.channels)
        return array

    def require(self, expected: AudioFormat) -> None:
        """Raise :class:`AudioError` unless this chunk is in ``expected``."""
        if self.format != expected:
            raise AudioError(
                ErrorCode.AUDIO_FORMAT, f"expected audio in {expected}, got {self.format}"
            )
