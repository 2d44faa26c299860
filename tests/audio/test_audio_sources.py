"""Sources behind one interface: file, stdin, mock, microphone (with back-off on failure)."""

from __future__ import annotations

import io
import os
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edge_os.audio.convert import Converter, decode
from edge_os.audio.format import INTERNAL_FORMAT, AudioChunk, AudioFormat
from edge_os.audio.sources import (
    MicrophoneSource,
    MockSource,
    StdinSource,
    WavFileSource,
    open_source,
)
from edge_os.audio.wav import read_wav
from edge_os.config.settings import AudioInputSettings
from edge_os.errors import AudioError, ErrorCode
from edge_os.runtime.backoff import Backoff
from tests import speech
from tests.audio.clips import sox
from tests.waiting import wait_until


@pytest.fixture(scope="module")
def clip() -> Path:
    return speech.espeak("hey jarvis", "en-us")


def joined(chunks: list[AudioChunk]) -> bytes:
    return b"".join(chunk.pcm for chunk in chunks)


def assert_continuous(chunks: list[AudioChunk], block: int) -> None:
    offset = 0
    for chunk in chunks:
        assert chunk.format == INTERNAL_FORMAT
        assert chunk.offset == offset
        offset = chunk.end
    assert all(chunk.num_samples == block for chunk in chunks[:-1])


def test_wav_file_source_blocks(clip: Path) -> None:
    source = WavFileSource(clip, block_ms=80)
    chunks = list(source.chunks())
    assert_continuous(chunks, 1280)
    assert joined(chunks) == read_wav(clip).pcm


def test_wav_file_source_converts_once(clip: Path, tmp_path: Path) -> None:
    stereo = sox(clip, tmp_path / "stereo.wav", "-r", "44100", "-c", "2")
    chunks = list(WavFileSource(stereo, block_ms=20).chunks())
    assert_continuous(chunks, 320)
    assert abs(sum(c.num_samples for c in chunks) - read_wav(clip).num_samples) <= 2


def test_stdin_source_internal_format(clip: Path) -> None:
    pcm = read_wav(clip).pcm
    chunks = list(StdinSource(io.BytesIO(pcm), block_ms=80).chunks())
    assert_continuous(chunks, 1280)
    assert joined(chunks) == pcm


def test_stdin_source_converts_raw_48k_stereo(clip: Path, tmp_path: Path) -> None:
    raw = sox(clip, tmp_path / "raw.raw", "-r", "48000", "-c", "2", "-b", "16", "-e", "signed")
    chunks = list(
        StdinSource(
            io.BytesIO(raw.read_bytes()), format=AudioFormat(48000, 2, 2), block_ms=80
        ).chunks()
    )
    total = sum(chunk.num_samples for chunk in chunks)
    assert abs(total - read_wav(clip).num_samples) <= 40  # the filter holds back half a kernel
    assert [c.offset for c in chunks[1:]] == [c.end for c in chunks[:-1]]


def test_stdin_partial_frame_at_the_end_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    chunks = list(StdinSource(io.BytesIO(bytes(2 * 1000 + 1))).chunks())
    assert sum(chunk.num_samples for chunk in chunks) == 1000
    assert "1 trailing byte(s) ignored" in caplog.text


def test_stdin_descriptor_gives_whole_blocks_from_small_writes() -> None:
    read_end, write_end = os.pipe()
    pcm = bytes(range(256)) * 25  # 6400 bytes: two 80 ms blocks and a 40 ms rest
    try:
        for index in range(0, len(pcm), 700):  # pipe writes that split frames and blocks
            os.write(write_end, pcm[index : index + 700])
        os.close(write_end)
        chunks = list(StdinSource(read_end, block_ms=80).chunks())
    finally:
        os.close(read_end)
    assert [chunk.num_samples for chunk in chunks] == [1280, 1280, 640]
    assert_continuous(chunks, 1280)
    assert joined(chunks) == pcm


def test_stdin_close_ends_a_read_that_waits_for_data() -> None:
    read_end, write_end = os.pipe()
    source = StdinSource(read_end, block_ms=80)
    got: list[AudioChunk] = []
    reader = threading.Thread(target=lambda: got.extend(source.chunks()), daemon=True)
    try:
        os.write(write_end, bytes(2560))
        reader.start()
        wait_until(lambda: bool(got), 5, "the first chunk")
        source.close()  # the writer keeps the pipe open: only close() can end the read
        reader.join(timeout=2)
        assert not reader.is_alive(), "close() did not stop a read blocked on stdin"
    finally:
        os.close(write_end)
        reader.join(timeout=2)
        os.close(read_end)
    assert [chunk.num_samples for chunk in got] == [1280]


def test_stdin_that_cannot_be_read_is_an_audio_error() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    os.close(write_end)
    with pytest.raises(AudioError) as caught:
        list(StdinSource(read_end).chunks())
    assert caught.value.code is ErrorCode.AUDIO_DEVICE
    assert str(caught.value).startswith("cannot read stdin (")


def test_mock_source_replays_and_closes() -> None:
    source = MockSource.silence(1.0, block_ms=100)
    iterator = source.chunks()
    first = next(iterator)
    assert first.num_samples == 1600
    source.close()
    assert list(iterator) == []


def test_a_paced_mock_source_gives_its_audio_at_the_pace_it_was_spoken() -> None:
    # edge-os bench plays its recording so: what runs while the VAD waits is then timed
    audio = MockSource.silence(0.5, block_ms=100).audio
    started = time.monotonic()
    paced = list(MockSource(audio, block_ms=100, paced=True).chunks())
    took = time.monotonic() - started
    assert [c.num_samples for c in paced] == [1600] * 5
    assert took >= 0.39  # the fifth block comes 0.4 s after the first
    assert MockSource(audio, paced=True).live and not MockSource(audio).live
    started = time.monotonic()
    assert len(list(MockSource(audio, block_ms=100).chunks())) == 5
    assert time.monotonic() - started < took


def test_converter_streaming_equals_whole() -> None:
    rng = np.random.default_rng(3)
    frames = rng.uniform(-0.5, 0.5, (48000, 2)).astype(np.float32)
    whole = Converter(48000)
    expected = whole.convert(frames) + whole.flush()
    streaming = Converter(48000)
    got = b"".join(streaming.convert(frames[i : i + 777]) for i in range(0, 48000, 777))
    assert got + streaming.flush() == expected
    assert len(expected) // 2 == 16000


def test_decode_widths() -> None:
    assert decode(bytes([0, 128, 255]), AudioFormat(8000, 1, 1)).ravel().tolist() == [
        -1.0,
        0.0,
        127 / 128,
    ]
    three = (-(1 << 22)).to_bytes(3, "little", signed=True)
    assert decode(three, AudioFormat(8000, 3, 1))[0, 0] == -0.5


class ReplayStream:
    """Implements the part of sounddevice.RawInputStream the source uses, from a buffer."""

    def __init__(
        self,
        pcm: bytes,
        fail_after_reads: int | None = None,
        overflowed: frozenset[int] = frozenset(),
    ) -> None:
        self.pcm = pcm
        self.position = 0
        self.reads = 0
        self.fail_after_reads = fail_after_reads
        self.overflowed = overflowed
        """Reads (counted from 0) that report dropped audio, as PortAudio does."""
        self.closed = False

    def read(self, frames: int) -> tuple[bytes, bool]:
        if self.fail_after_reads is not None and self.reads >= self.fail_after_reads:
            raise OSError("device unplugged")
        overflowed = self.reads in self.overflowed
        self.reads += 1
        data = self.pcm[self.position : self.position + 2 * frames]
        self.position += 2 * frames
        return data.ljust(2 * frames, b"\0"), overflowed

    def close(self) -> None:
        self.closed = True


def test_microphone_reports_a_vanished_device_and_reopens(clip: Path) -> None:
    pcm = read_wav(clip).pcm
    opened: list[ReplayStream] = []
    attempts = {"n": 0}

    def open_stream(device: Any, rate: int, channels: int, frames: int) -> ReplayStream:
        attempts["n"] += 1
        if attempts["n"] == 2:
            raise OSError("no such device")  # still gone on the first retry
        stream = ReplayStream(pcm, fail_after_reads=3 if attempts["n"] == 1 else None)
        opened.append(stream)
        return stream

    errors: list[AudioError] = []
    source = MicrophoneSource(
        backoff=Backoff(initial_seconds=0.01, max_seconds=0.02),
        on_error=errors.append,
        open_stream=open_stream,
    )
    chunks = []
    for chunk in source.chunks():
        chunks.append(chunk)
        if len(chunks) == 6:
            source.close()
    assert [error.code for error in errors] == [ErrorCode.AUDIO_DEVICE] * 2
    assert "device unplugged" in str(errors[0])
    assert "no such device" in str(errors[1])
    assert len(opened) == 2
    assert opened[0].closed
    assert opened[1].closed
    assert [c.offset for c in chunks] == [i * 1280 for i in range(6)]
    assert source.backoff.failures == 0


def test_microphone_counts_the_audio_the_sound_card_dropped(clip: Path) -> None:
    stream = ReplayStream(read_wav(clip).pcm, overflowed=frozenset({1, 3}))
    source = MicrophoneSource(open_stream=lambda *_: stream)
    for index, _ in enumerate(source.chunks()):
        if index == 4:
            source.close()
    assert source.overflows == 2


def test_microphone_without_any_device_keeps_retrying_until_closed() -> None:
    """Real PortAudio on a machine with no sound card: errors, never a crash."""
    pytest.importorskip("sounddevice")
    errors: list[AudioError] = []
    source = MicrophoneSource(backoff=Backoff(initial_seconds=0.01, max_seconds=0.01))

    def on_error(error: AudioError) -> None:
        errors.append(error)
        if len(errors) == 3:
            source.close()

    source.on_error = on_error
    try:
        import sounddevice

        sounddevice.query_devices(kind="input")
        pytest.skip("this machine has an input device")
    except (sounddevice.PortAudioError, ValueError):
        pass
    done = threading.Event()
    result: list[AudioChunk] = []

    def consume() -> None:
        result.extend(source.chunks())
        done.set()

    threading.Thread(target=consume, daemon=True).start()
    assert done.wait(30)
    assert result == []
    assert len(errors) == 3
    assert all(error.code is ErrorCode.AUDIO_DEVICE for error in errors)
    assert "cannot open microphone default" in str(errors[0])


def test_open_source_follows_the_config(clip: Path) -> None:
    assert isinstance(open_source(AudioInputSettings(source="file", file=clip)), WavFileSource)
    assert isinstance(open_source(AudioInputSettings(source="stdin")), StdinSource)
    mock = open_source(AudioInputSettings(source="mock", file=clip))
    assert isinstance(mock, MockSource)
    assert mock.audio.pcm == read_wav(clip).pcm
    assert isinstance(open_source(AudioInputSettings(source="sounddevice")), MicrophoneSource)
    assert isinstance(open_source(AudioInputSettings(), path=clip), WavFileSource)
