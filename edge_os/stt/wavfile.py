"""Read a WAV file of any common layout and convert it to 16 kHz mono 16-bit (for eval).

A minimal RIFF reader (PCM 8/16/24/32-bit, IEEE float 32/64, WAVE_FORMAT_EXTENSIBLE) with
an FFT resampler in numpy. Private to the STT stage until ``edge_os.audio.sources`` offers
the same; the lead can then point :func:`read_wav_16k` at it.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import TYPE_CHECKING

from edge_os.audio.format import INTERNAL_FORMAT, AudioChunk
from edge_os.errors import AudioError, ErrorCode

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

_PCM = 1
_FLOAT = 3
_EXTENSIBLE = 0xFFFE


def read_wav_16k(path: Path) -> AudioChunk:
    """The file's audio mixed to mono and resampled to 16 kHz, as one chunk."""
    import numpy as np

    samples, rate = read_wav(path)
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    resampled = resample(mono, rate, INTERNAL_FORMAT.rate)
    pcm = np.clip(np.round(resampled * 32767.0), -32768, 32767).astype("<i2").tobytes()
    return AudioChunk(pcm=pcm, format=INTERNAL_FORMAT)


def read_wav(path: Path) -> tuple[npt.NDArray[np.float32], int]:
    """Samples as float32 in [-1, 1], shape ``(n,)`` or ``(n, channels)``, and the rate (Hz)."""
    import numpy as np

    try:
        data = path.read_bytes()
    except OSError as err:
        raise AudioError(ErrorCode.AUDIO_FORMAT, f"{path}: cannot read: {err}") from err
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioError(ErrorCode.AUDIO_FORMAT, f"{path}: not a RIFF/WAVE file")
    fmt: tuple[int, int, int, int] | None = None
    payload: bytes | None = None
    position = 12
    while position + 8 <= len(data):
        chunk_id, size = struct.unpack_from("<4sI", data, position)
        body = data[position + 8 : position + 8 + size]
        if chunk_id == b"fmt " and len(body) >= 16:
            tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
            if tag == _EXTENSIBLE and len(body) >= 26:
                tag = struct.unpack_from("<H", body, 24)[0]
            fmt = (tag, channels, rate, bits)
        elif chunk_id == b"data":
            payload = body
        position += 8 + size + (size & 1)
    if fmt is None or payload is None:
        raise AudioError(ErrorCode.AUDIO_FORMAT, f"{path}: no fmt or data chunk")
    tag, channels, rate, bits = fmt
    if channels < 1 or rate < 1:
        raise AudioError(ErrorCode.AUDIO_FORMAT, f"{path}: {channels} channels at {rate} Hz")
    width = bits // 8
    usable = len(payload) - len(payload) % (width * channels or 1)
    payload = payload[:usable]
    if tag == _PCM and bits == 8:
        samples = (np.frombuffer(payload, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif tag == _PCM and bits == 16:
        samples = np.frombuffer(payload, dtype="<i2").astype(np.float32) / 32768.0
    elif tag == _PCM and bits == 24:
        raw = np.frombuffer(payload, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        samples = ints.astype(np.float32) / float(1 << 23)
    elif tag == _PCM and bits == 32:
        samples = (np.frombuffer(payload, dtype="<i4").astype(np.float64) / 2**31).astype(
            np.float32
        )
    elif tag == _FLOAT and bits in (32, 64):
        dtype = "<f4" if bits == 32 else "<f8"
        samples = np.clip(np.frombuffer(payload, dtype=dtype), -1.0, 1.0).astype(np.float32)
    else:
        raise AudioError(
            ErrorCode.AUDIO_FORMAT,
            f"{path}: unsupported WAV encoding (format tag {tag}, {bits}-bit); "
            "expected PCM 8/16/24/32-bit or float 32/64-bit",
        )
    if channels > 1:
        samples = samples.reshape(-1, channels)
    return samples, rate


def resample(
    samples: npt.NDArray[np.float32], rate: int, target_rate: int
) -> npt.NDArray[np.float32]:
    """Band-limited resampling by zero-padding or truncating the spectrum (numpy FFT)."""
    import numpy as np

    if rate == target_rate or samples.size == 0:
        return samples.astype(np.float32)
    count = round(samples.size * target_rate / rate)
    spectrum = np.fft.rfft(samples.astype(np.float64))
    bins = count // 2 + 1
    if bins <= spectrum.size:
        spectrum = spectrum[:bins]
    else:
        spectrum = np.concatenate([spectrum, np.zeros(bins - spectrum.size, dtype=complex)])
    out = np.fft.irfft(spectrum, n=count) * (count / samples.size)
    return out.astype(np.float32)
