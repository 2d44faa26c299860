"""WAV files of any common layout become 16 kHz mono 16-bit; bad ones fail clearly."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from edge_os.audio.format import INTERNAL_FORMAT
from edge_os.audio.wav import AudioFileError, read_wav
from edge_os.errors import ErrorCode
from tests import speech
from tests.audio.clips import samples, sox


@pytest.fixture(scope="module")
def clip() -> Path:
    return speech.espeak("turn on the kitchen light", "en-gb")


def test_internal_format_passes_through_unchanged(clip: Path) -> None:
    audio = read_wav(clip)
    assert audio.format == INTERNAL_FORMAT
    assert np.array_equal(audio.samples(), samples(clip))


@pytest.mark.parametrize(
    "options",
    [
        ("-r", "44100", "-c", "2", "-b", "16"),
        ("-r", "8000", "-c", "1", "-b", "8"),
        ("-r", "48000", "-c", "1", "-b", "24"),
        ("-r", "22050", "-c", "2", "-e", "floating-point", "-b", "32"),
        ("-r", "16000", "-c", "1", "-b", "32"),
    ],
    ids=["44k1-stereo-16", "8k-mono-8bit", "48k-24bit", "22k05-stereo-float", "16k-32bit"],
)
def test_conversions_keep_the_speech(clip: Path, tmp_path: Path, options: tuple[str, ...]) -> None:
    converted = sox(clip, tmp_path / "converted.wav", *options)
    audio = read_wav(converted)
    reference = samples(clip).astype(np.float64)
    got = audio.samples().astype(np.float64)
    assert audio.format == INTERNAL_FORMAT
    assert abs(len(got) - len(reference)) <= 2
    n = min(len(got), len(reference))
    # 8 kHz loses everything above 4 kHz, so compare the low band's correlation
    correlation = np.corrcoef(_lowpass(got[:n]), _lowpass(reference[:n]))[0, 1]
    assert correlation > 0.95


def _lowpass(x: np.ndarray) -> np.ndarray:
    spectrum = np.fft.rfft(x)
    spectrum[int(len(spectrum) * 3500 / 8000) :] = 0
    return np.fft.irfft(spectrum, len(x))


def test_streaming_header_size_is_accepted(clip: Path, tmp_path: Path) -> None:
    data = bytearray(clip.read_bytes())
    position = data.index(b"data")
    data[position + 4 : position + 8] = struct.pack("<I", 0xFFFFFFFF)
    streamed = tmp_path / "streamed.wav"
    streamed.write_bytes(bytes(data))
    assert read_wav(streamed).pcm == read_wav(clip).pcm


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "not a WAV file (no RIFF/WAVE header)"),
        (b"ID3\x03\x00\x00\x00" + bytes(100), "not a WAV file (no RIFF/WAVE header)"),
        (b"RIFF\x04\x00\x00\x00WAVE", "corrupt: no 'fmt ' chunk"),
    ],
    ids=["empty", "mp3", "header-only"],
)
def test_corrupt_files_fail_clearly(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioFileError) as caught:
        read_wav(path)
    assert caught.value.code is ErrorCode.AUDIO_FORMAT
    assert caught.value.exit_code == 2
    assert str(caught.value) == f"{path}: {reason}"


def test_truncated_file_names_what_is_missing(clip: Path, tmp_path: Path) -> None:
    data = clip.read_bytes()
    path = tmp_path / "truncated.wav"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(AudioFileError, match=r"truncated: data chunk declares \d+ bytes"):
        read_wav(path)


def test_odd_byte_count_is_truncated(clip: Path, tmp_path: Path) -> None:
    data = bytearray(clip.read_bytes())
    position = data.index(b"data")
    size = struct.unpack_from("<I", data, position + 4)[0]
    struct.pack_into("<I", data, position + 4, size - 1)
    data[4:8] = struct.pack("<I", len(data) - 9)
    path = tmp_path / "odd.wav"
    path.write_bytes(bytes(data[:-1]))
    with pytest.raises(AudioFileError, match="not a whole number of frames"):
        read_wav(path)


def test_unsupported_encoding_is_named(clip: Path, tmp_path: Path) -> None:
    mulaw = sox(clip, tmp_path / "mulaw.wav", "-e", "mu-law")
    with pytest.raises(AudioFileError, match=r"unsupported WAV encoding 0x0007 \(mu-law\)"):
        read_wav(mulaw)


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(AudioFileError, match="no such file"):
        read_wav(tmp_path / "nope.wav")
    with pytest.raises(AudioFileError, match="is a folder"):
        read_wav(tmp_path)
