"""The STT stage's WAV reader: every common layout ends as 16 kHz mono 16-bit."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from speech import espeak

from edge_os.errors import AudioError
from edge_os.stt.wavfile import read_wav, read_wav_16k, resample


def write_wav(path: Path, samples: np.ndarray, rate: int, *, tag: int, bits: int) -> Path:
    """A WAV file written byte by byte (the stdlib ``wave`` cannot write float)."""
    channels = 1 if samples.ndim == 1 else samples.shape[1]
    if tag == 3:
        payload = samples.astype("<f4" if bits == 32 else "<f8").tobytes()
    elif bits == 8:
        payload = (np.round(samples * 127) + 128).astype(np.uint8).tobytes()
    elif bits == 24:
        ints = np.round(samples.reshape(-1) * (2**23 - 1)).astype("<i4")
        payload = b"".join(int(v).to_bytes(3, "little", signed=True) for v in ints)
    else:
        payload = np.round(samples * (2 ** (bits - 1) - 1)).astype(f"<i{bits // 8}").tobytes()
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * block, block, bits)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt
    body += b"LIST" + struct.pack("<I", 4) + b"INFO"  # a chunk readers must skip
    body += b"data" + struct.pack("<I", len(payload)) + payload
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def tone(rate: int, seconds: float, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


@pytest.mark.parametrize(
    ("rate", "tag", "bits", "stereo"),
    [
        (16000, 1, 16, False),
        (44100, 3, 32, True),
        (48000, 1, 24, False),
        (22050, 1, 8, True),
        (8000, 1, 32, False),
        (32000, 3, 64, False),
    ],
)
def test_layouts_convert_to_16k_mono(
    tmp_path: Path, rate: int, tag: int, bits: int, stereo: bool
) -> None:
    mono = tone(rate, 0.5)
    samples = np.stack([mono, mono], axis=1) if stereo else mono
    path = write_wav(tmp_path / "clip.wav", samples, rate, tag=tag, bits=bits)
    chunk = read_wav_16k(path)
    assert chunk.format.rate == 16000 and chunk.format.channels == 1
    assert chunk.num_samples == 8000
    got = chunk.samples().astype(np.float64) / 32768
    spectrum = np.abs(np.fft.rfft(got))
    assert np.argmax(spectrum) * 16000 / got.size == pytest.approx(440, abs=3)
    assert np.sqrt(np.mean(got**2)) == pytest.approx(0.5 / np.sqrt(2), rel=0.05)


def test_matches_sox_conversion(tmp_path: Path) -> None:
    source = espeak("Open the garage door.")
    upsampled = tmp_path / "44k-stereo.wav"
    subprocess.run(
        ["sox", str(source), "-r", "44100", "-c", "2", "-b", "16", str(upsampled)], check=True
    )
    ours = read_wav_16k(upsampled).samples().astype(np.float64)
    reference = read_wav(source)[0].astype(np.float64) * 32768
    count = min(ours.size, reference.size)
    assert abs(ours.size - reference.size) <= 2
    error = np.sqrt(np.mean((ours[:count] - reference[:count]) ** 2))
    assert error < 0.05 * np.sqrt(np.mean(reference**2))


def test_resample_keeps_length_ratio() -> None:
    assert resample(np.zeros(22050, dtype=np.float32), 22050, 16000).size == 16000


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a wav file at all", "not a RIFF/WAVE file"),
        (b"RIFF\x04\x00\x00\x00WAVE", "no fmt or data chunk"),
    ],
)
def test_bad_files_raise_audio_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(AudioError, match=message):
        read_wav_16k(path)


def test_unsupported_encoding_is_named(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "alaw.wav", tone(8000, 0.1), 8000, tag=1, bits=16)
    data = bytearray(path.read_bytes())
    data[20:22] = struct.pack("<H", 6)  # A-law
    path.write_bytes(bytes(data))
    with pytest.raises(AudioError, match="format tag 6"):
        read_wav_16k(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="cannot read"):
        read_wav_16k(tmp_path / "absent.wav")
