"""Audio sinks: WAV format and conversion, volume, mute, and a sound card that goes away."""

from __future__ import annotations

import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edge_os.audio.format import AudioChunk, AudioFormat
from edge_os.audio.resample import Resampler
from edge_os.audio.sinks import (
    NullSink,
    SoundDeviceSink,
    WavFileSink,
    convert,
    create_sink,
)
from edge_os.errors import AudioError, ErrorCode, UsageError

VOICE = AudioFormat(rate=22050, width=2, channels=1)


def sine(hz: float, seconds: float, fmt: AudioFormat = VOICE, level: float = 0.5) -> AudioChunk:
    """A sine in ``fmt`` (same signal on every channel)."""
    t = np.arange(int(seconds * fmt.rate)) / fmt.rate
    mono = np.round(level * 32767 * np.sin(2 * np.pi * hz * t)).astype("<i2")
    return AudioChunk(np.repeat(mono[:, None], fmt.channels, axis=1).tobytes(), fmt)


def read(path: Path) -> tuple[AudioFormat, np.ndarray]:
    """A WAV file's format and int16 samples."""
    with wave.open(str(path)) as wav:
        fmt = AudioFormat(wav.getframerate(), wav.getsampwidth(), wav.getnchannels())
        return fmt, np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")


def peak_hz(samples: np.ndarray, rate: int) -> float:
    """Frequency of the strongest spectral line."""
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


def test_wav_sink_takes_the_format_of_the_first_chunk(tmp_path: Path):
    sink = WavFileSink(tmp_path / "a.wav")
    sink.write(sine(440, 0.5))
    sink.write(sine(440, 0.25))
    sink.close()
    fmt, samples = read(tmp_path / "a.wav")
    assert fmt == VOICE
    assert len(samples) == int(0.5 * 22050) + int(0.25 * 22050)


def test_wav_sink_converts_rate_and_channels(tmp_path: Path):
    target = AudioFormat(rate=16000, width=2, channels=2)
    sink = WavFileSink(tmp_path / "b.wav", target)
    sink.write(sine(440, 1.0))
    sink.close()
    fmt, samples = read(tmp_path / "b.wav")
    assert fmt == target
    frames = samples.reshape(-1, 2)
    assert abs(len(frames) - 16000) <= 2
    assert np.array_equal(frames[:, 0], frames[:, 1])
    assert peak_hz(frames[:, 0], 16000) == pytest.approx(440, abs=2)


def test_volume_scales_amplitude_linearly(tmp_path: Path):
    chunk = sine(440, 0.2)
    sink = WavFileSink(tmp_path / "c.wav", volume_percent=50)
    sink.write(chunk)
    sink.close()
    _, samples = read(tmp_path / "c.wav")
    expected = chunk.samples().astype(np.float64) * 0.5
    assert np.max(np.abs(samples - expected)) <= 1.0
    assert np.max(np.abs(samples)) > 8000


def test_mute_writes_silence_of_the_same_length(tmp_path: Path):
    sink = WavFileSink(tmp_path / "d.wav", muted=True)
    sink.write(sine(440, 0.3))
    sink.set_muted(False)
    sink.write(sine(440, 0.1))
    sink.close()
    _, samples = read(tmp_path / "d.wav")
    muted = int(0.3 * 22050)
    assert len(samples) == muted + int(0.1 * 22050)
    assert not samples[:muted].any() and samples[muted:].any()


def test_wav_sink_reopens_after_close(tmp_path: Path):
    sink = WavFileSink(tmp_path / "e.wav")
    sink.write(sine(440, 0.5))
    sink.close()
    sink.write(sine(440, 0.1, AudioFormat(16000, 2, 1)))
    sink.close()
    fmt, samples = read(tmp_path / "e.wav")
    assert fmt.rate == 16000 and len(samples) == 1600


def test_wav_sink_in_an_unwritable_place_is_an_audio_error(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(AudioError) as caught:
        WavFileSink(blocker / "out.wav").write(sine(440, 0.1))
    assert caught.value.code is ErrorCode.AUDIO_DEVICE


@pytest.mark.parametrize("bad", [-1, 101, 50.5, True, "80"])
def test_volume_must_be_0_to_100(bad: Any):
    with pytest.raises(UsageError):
        NullSink().set_volume(bad)
    with pytest.raises(UsageError):
        NullSink(volume_percent=bad)


def test_convert_rejects_non_16_bit():
    chunk = AudioChunk(b"\x00" * 8, AudioFormat(16000, 4, 1))
    with pytest.raises(AudioError) as caught:
        convert(chunk, VOICE)
    assert caught.value.code is ErrorCode.AUDIO_FORMAT


def test_null_sink_counts():
    sink = create_sink("null")
    assert isinstance(sink, NullSink)
    sink.write(sine(440, 0.5))
    assert sink.frames_written == 11025 and sink.writes == 1


def test_file_sink_needs_a_path(tmp_path: Path):
    with pytest.raises(UsageError):
        create_sink("file")
    assert isinstance(create_sink("file", file=tmp_path / "x.wav"), WavFileSink)


class FakePortAudio:
    """The part of the sounddevice module the sink uses; the device vanishes on a write."""

    class PortAudioError(Exception):
        """sounddevice.PortAudioError."""

    def __init__(self, fail_on_write: int | None = None) -> None:
        self.fail_on_write = fail_on_write
        self.written: list[bytes] = []
        self.opened: list[dict[str, Any]] = []

    def RawOutputStream(self, **kwargs: Any) -> Any:  # noqa: N802 - sounddevice's name
        fake = self
        fake.opened.append(kwargs)

        class Stream:
            def start(self) -> None: ...
            def stop(self) -> None: ...
            def abort(self) -> None: ...
            def close(self, ignore_errors: bool = True) -> None: ...

            def write(self, data: bytes) -> None:
                if fake.fail_on_write is not None and len(fake.written) == fake.fail_on_write:
                    fake.fail_on_write = None
                    raise fake.PortAudioError("Stream is stopped (device unplugged)")
                fake.written.append(data)

        return Stream()


def test_a_device_that_disappears_is_an_audio_device_error_then_reopens():
    fake = FakePortAudio(fail_on_write=1)
    sink = SoundDeviceSink("USB speaker", volume_percent=100)
    sink._sd = fake
    sink.write(sine(440, 0.1))
    with pytest.raises(AudioError) as caught:
        sink.write(sine(440, 0.1))
    assert caught.value.code is ErrorCode.AUDIO_DEVICE
    assert "USB speaker" in str(caught.value)
    sink.write(sine(440, 0.1))  # plugged back in: the next write opens a new stream
    assert len(fake.opened) == 2 and len(fake.written) == 2
    assert fake.opened[0]["samplerate"] == 22050 and fake.opened[0]["dtype"] == "int16"


def test_a_missing_device_is_an_audio_device_error():
    sink = SoundDeviceSink("no such sound card 42")
    with pytest.raises(AudioError) as caught:
        sink.write(sine(440, 0.1))
    assert caught.value.code is ErrorCode.AUDIO_DEVICE


def test_a_fixed_output_rate_is_converted_to():
    fake = FakePortAudio()
    sink = create_sink("sounddevice", rate=48000)
    assert isinstance(sink, SoundDeviceSink)
    sink._sd = fake
    sink.write(sine(440, 0.1))
    assert fake.opened[0]["samplerate"] == 48000
    assert abs(len(fake.written[0]) // 2 - 4800) <= 3  # a sample or two is held back


def test_resampling_block_by_block_has_no_seams():
    whole = sine(440, 0.5)
    target = AudioFormat(rate=48000, width=2, channels=1)
    at_once = np.frombuffer(convert(whole, target, resampler=Resampler(22050, 48000)), "<i2")
    resampler = Resampler(22050, 48000)
    step = 1102 * 2
    blocks = [
        convert(AudioChunk(whole.pcm[i : i + step], VOICE), target, resampler=resampler)
        for i in range(0, len(whole.pcm), step)
    ]
    in_blocks = np.frombuffer(b"".join(blocks), "<i2")
    assert len(in_blocks) == len(at_once)
    assert np.max(np.abs(in_blocks.astype(int) - at_once.astype(int))) <= 1
