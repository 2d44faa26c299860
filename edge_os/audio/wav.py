"""Read a WAV file of any common layout and convert it once to 16 kHz mono 16-bit.

A small RIFF reader: integer PCM 8/16/24/32-bit, IEEE float 32/64-bit, and
WAVE_FORMAT_EXTENSIBLE wrapping either. Anything else (ADPCM, mu-law, MP3 in RIFF, a
truncated or corrupt file) fails with an :class:`AudioFileError` naming the file and why.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from edge_os.audio.convert import Converter, decode
from edge_os.audio.format import INTERNAL_FORMAT, AudioChunk, AudioFormat
from edge_os.errors import AudioError, ErrorCode

_PCM = 0x0001
_FLOAT = 0x0003
_EXTENSIBLE = 0xFFFE
_TAG_NAMES = {0x0002: "MS ADPCM", 0x0006: "A-law", 0x0007: "mu-law", 0x0011: "IMA ADPCM",
              0x0055: "MP3"}  # fmt: skip
_STREAMING_SIZES = (0, 0xFFFFFFFF)
"""``data`` sizes written by recorders that could not seek back (arecord to a pipe)."""


class AudioFileError(AudioError):
    """An audio file cannot be used: missing, unreadable, corrupt or in an unsupported format."""

    exit_code = 2

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(ErrorCode.AUDIO_FORMAT, f"{path}: {reason}")
        self.path = str(path)


@dataclass(frozen=True)
class WavInfo:
    """What a WAV file holds, as stored."""

    format: AudioFormat
    """Rate, bytes per sample and channels as stored in the file."""
    is_float: bool
    """IEEE float samples (else integer PCM)."""
    frames: int
    """Samples per channel."""

    @property
    def seconds(self) -> float:
        """Duration."""
        return self.frames / self.format.rate


def parse_wav(data: bytes, path: Path | str = "<bytes>") -> tuple[WavInfo, bytes]:
    """The layout and the PCM payload of a WAV file's bytes."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioFileError(path, "not a WAV file (no RIFF/WAVE header)")
    fmt: tuple[int, int, int, int] | None = None
    payload: bytes | None = None
    position = 12
    while position + 8 <= len(data):
        chunk_id, size = struct.unpack_from("<4sI", data, position)
        body_start = position + 8
        if chunk_id == b"data":
            if size in _STREAMING_SIZES:
                size = len(data) - body_start
            elif body_start + size > len(data):
                raise AudioFileError(
                    path,
                    f"truncated: data chunk declares {size} bytes, "
                    f"the file holds {len(data) - body_start}",
                )
            payload = data[body_start : body_start + size]
        elif chunk_id == b"fmt ":
            fmt = _parse_fmt(data[body_start : body_start + size], path)
        position = body_start + size + (size & 1)
    if fmt is None:
        raise AudioFileError(path, "corrupt: no 'fmt ' chunk")
    if payload is None:
        raise AudioFileError(path, "corrupt: no 'data' chunk")
    tag, channels, rate, bits = fmt
    if tag not in (_PCM, _FLOAT):
        name = _TAG_NAMES.get(tag, "unknown")
        raise AudioFileError(
            path, f"unsupported WAV encoding 0x{tag:04x} ({name}); use integer PCM or float"
        )
    is_float = tag == _FLOAT
    if bits % 8 or not (bits in (32, 64) if is_float else 8 <= bits <= 32):
        kind = "float" if is_float else "PCM"
        raise AudioFileError(path, f"unsupported sample size: {bits}-bit {kind}")
    if channels < 1 or rate < 1000:
        raise AudioFileError(path, f"unsupported layout: {channels} channel(s) at {rate} Hz")
    layout = AudioFormat(rate=rate, width=bits // 8, channels=channels)
    frame = layout.width * channels
    if len(payload) % frame:
        raise AudioFileError(
            path, f"truncated: {len(payload)} bytes of data is not a whole number of frames"
        )
    return WavInfo(layout, is_float, len(payload) // frame), payload


def _parse_fmt(body: bytes, path: Path | str) -> tuple[int, int, int, int]:
    if len(body) < 16:
        raise AudioFileError(path, "corrupt: 'fmt ' chunk too short")
    tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", body)
    if tag == _EXTENSIBLE:
        if len(body) < 26:
            raise AudioFileError(path, "corrupt: WAVE_FORMAT_EXTENSIBLE without a sub-format")
        tag = struct.unpack_from("<H", body, 24)[0]
    return tag, channels, rate, bits


def read_wav(path: Path) -> AudioChunk:
    """The whole file mixed to mono and resampled to 16 kHz 16-bit, as one chunk."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise AudioFileError(path, "no such file") from None
    except IsADirectoryError:
        raise AudioFileError(path, "is a folder, not a WAV file") from None
    except OSError as err:
        raise AudioFileError(path, f"cannot read: {err.strerror or err}") from None
    info, payload = parse_wav(data, path)
    if info.format == INTERNAL_FORMAT and not info.is_float:
        return AudioChunk(payload)
    converter = Converter(info.format.rate)  # raises MissingDependencyError without numpy
    frames = decode(payload, info.format, is_float=info.is_float)
    return AudioChunk(converter.convert(frames) + converter.flush())
