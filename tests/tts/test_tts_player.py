"""Streaming, barge-in and failure handling of the player, counted in blocks (no timing)."""

from __future__ import annotations

import threading
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from edge_os.audio.format import AudioChunk, AudioFormat
from edge_os.audio.sinks import NullSink, WavFileSink
from edge_os.config.settings import AudioOutputSettings
from edge_os.errors import AudioError, ErrorCode, TtsError, UsageError
from edge_os.tts.earcons import EARCON_DIR, Earcon, earcon_audio, load_earcon
from edge_os.tts.piper_voice import PiperTextToSpeech
from edge_os.tts.player import Player, create_player

VOICE = AudioFormat(rate=22050, width=2, channels=1)
GUARD_SECONDS = 10.0
"""Only a guard against a hang; no assertion depends on time."""


def tone(seconds: float = 0.5, fmt: AudioFormat = VOICE) -> AudioChunk:
    """A constant non-zero signal."""
    return AudioChunk(b"\x10\x27" * int(seconds * fmt.rate) * fmt.channels, fmt)


class StoppingSink(NullSink):
    """A null sink that calls ``player.stop()`` while writing its ``stop_at``-th block."""

    def __init__(self, stop_at: int) -> None:
        super().__init__()
        self.stop_at = stop_at
        self.player: Player | None = None
        self.aborted = self.drained = 0

    def write(self, chunk: AudioChunk) -> None:
        super().write(chunk)
        if self.writes == self.stop_at and self.player is not None:
            self.player.stop()

    def abort(self) -> None:
        self.aborted += 1

    def drain(self) -> None:
        self.drained += 1


def test_plays_every_sentence_in_blocks():
    sink = NullSink()
    fmt = AudioFormat(rate=16000, width=2, channels=1)
    result = Player(sink, block_ms=50).play([tone(0.5, fmt), tone(0.25, fmt)])
    assert result.chunks == 2
    assert sink.frames_written == int(0.75 * fmt.rate)
    assert result.blocks == sink.writes == 10 + 5
    assert result.audio_seconds == pytest.approx(0.75, abs=0.001)
    assert not result.interrupted and result.error is None


def test_first_sentence_plays_before_the_next_is_synthesized():
    first_written = threading.Event()
    seen: list[str] = []

    class Watching(NullSink):
        def write(self, chunk: AudioChunk) -> None:
            super().write(chunk)
            first_written.set()

    def sentences() -> Iterator[AudioChunk]:
        yield tone(0.2)
        # the second sentence is "synthesized" only once the first has reached the sink
        seen.append("played" if first_written.wait(GUARD_SECONDS) else "not played")
        yield tone(0.2)

    result = Player(Watching()).play(sentences())
    assert seen == ["played"]
    assert result.chunks == 2


def test_stop_takes_effect_within_one_block():
    sink = StoppingSink(stop_at=3)
    player = Player(sink, block_ms=50)
    sink.player = player
    result = player.play([tone(1.0), tone(1.0)])
    assert sink.writes == 3  # the block being written when stop came is the last one
    assert result.interrupted and result.blocks == 3
    assert sink.aborted == 1 and sink.drained == 0


def test_stop_ends_an_endless_answer_and_its_producer():
    produced = threading.Event()
    closed = threading.Event()

    def endless() -> Iterator[AudioChunk]:
        try:
            while True:
                produced.set()
                yield tone(0.1)
        finally:
            closed.set()

    sink = StoppingSink(stop_at=7)
    player = Player(sink, block_ms=50)
    sink.player = player
    result = player.play(endless())
    assert result.interrupted and sink.writes == 7
    assert closed.wait(GUARD_SECONDS)  # the generator was closed, nothing left running


def test_stop_from_another_thread_while_waiting_for_synthesis():
    release = threading.Event()

    def slow() -> Iterator[AudioChunk]:
        yield tone(0.1)
        release.wait(GUARD_SECONDS)
        yield tone(0.1)

    sink = NullSink()
    player = Player(sink)
    outcome: list[object] = []
    thread = threading.Thread(target=lambda: outcome.append(player.play(slow())))
    thread.start()
    while sink.writes < 3 and thread.is_alive():  # 0.1 s at 22,050 Hz is 3 blocks of 50 ms
        threading.Event().wait(0.01)
    player.stop()
    thread.join(GUARD_SECONDS)
    release.set()
    assert not thread.is_alive()
    assert outcome[0].interrupted  # type: ignore[attr-defined]
    assert outcome[0].chunks == 1  # type: ignore[attr-defined]
    assert sink.writes == 3


def test_a_vanished_device_is_reported_not_raised():
    class Vanishing(NullSink):
        def write(self, chunk: AudioChunk) -> None:
            super().write(chunk)
            if self.writes == 2:
                raise AudioError(ErrorCode.AUDIO_DEVICE, "output device gone")

    sink = Vanishing()
    player = Player(sink)
    result = player.play([tone(0.5)])
    assert result.error is not None and result.error.code is ErrorCode.AUDIO_DEVICE
    assert result.blocks == 1
    again = player.play([tone(0.05)])  # the player is still usable
    assert again.chunks == 1


def test_a_failed_device_waits_for_the_piece_being_made():
    """A process that exits while onnxruntime runs in the producer's daemon thread aborts
    ("terminate called without an active exception", seen with ``edge-os speak`` and no
    output device): ``play`` returns only once the synthesis under way has ended."""
    started, made = threading.Event(), threading.Event()

    def answer() -> Iterator[AudioChunk]:
        yield tone(0.1)
        started.set()
        threading.Event().wait(0.3)  # a piece being synthesized
        made.set()
        yield tone(0.1)

    class Failing(NullSink):
        def write(self, chunk: AudioChunk) -> None:
            assert started.wait(GUARD_SECONDS)
            raise AudioError(ErrorCode.AUDIO_DEVICE, "cannot open output device")

    result = Player(Failing()).play(answer())
    assert result.error is not None and result.error.code is ErrorCode.AUDIO_DEVICE
    assert made.is_set()


def test_a_synthesis_error_is_reported():
    def failing() -> Iterator[AudioChunk]:
        yield tone(0.1)
        raise TtsError(ErrorCode.TTS_FAILED, "voice broke")

    result = Player(NullSink()).play(failing())
    assert result.chunks == 1
    assert result.error is not None and result.error.code is ErrorCode.TTS_FAILED


def test_first_audio_time_comes_from_the_clock():
    ticks = iter(range(0, 1000, 10))
    result = Player(NullSink(), clock=lambda: next(ticks) / 1000.0).play([tone(0.1)])
    assert result.first_audio_ms == pytest.approx(10.0)
    assert result.total_ms == pytest.approx(20.0)


def test_volume_and_mute_change_between_blocks(tmp_path: Path):
    path = tmp_path / "out.wav"

    class Turning(WavFileSink):
        """Turns the volume down after the first block and mutes after the second."""

        def write(self, chunk: AudioChunk) -> None:
            super().write(chunk)
            if self.path.exists() and player is not None:
                writes.append(chunk)
                if len(writes) == 1:
                    player.set_volume(50)
                elif len(writes) == 2:
                    player.set_muted(True)

    writes: list[AudioChunk] = []
    sink = Turning(path)
    player = Player(sink, block_ms=100)
    player.play([tone(0.1), tone(0.1), tone(0.1)])
    sink.close()
    with wave.open(str(path)) as wav:
        values = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
    block = int(0.1 * VOICE.rate)
    assert len(values) == 3 * block
    assert set(values[:block]) == {10000}
    assert set(values[block : 2 * block]) == {5000}
    assert set(values[2 * block :]) == {0}
    with pytest.raises(UsageError):
        player.set_volume(101)


def test_piper_answer_streams_into_a_wav_file(piper: PiperTextToSpeech, tmp_path: Path):
    sink = WavFileSink(tmp_path / "answer.wav")
    result = Player(sink).play(piper.synthesize("Okay. Done."))
    sink.close()
    assert result.chunks == 2 and result.first_audio_ms is not None
    with wave.open(str(tmp_path / "answer.wav")) as wav:
        assert wav.getframerate() == 22050
        assert wav.getnframes() / 22050 == pytest.approx(result.audio_seconds, abs=0.01)


@pytest.mark.parametrize("earcon", list(Earcon))
def test_earcons_load_and_play(earcon: Earcon):
    assert (EARCON_DIR / f"{earcon.value}.wav").stat().st_size < 30 * 1024
    chunk = load_earcon(earcon)
    assert 0.1 < chunk.seconds < 0.5
    assert max(abs(int(s)) for s in chunk.samples()) > 3000
    sink = NullSink()
    assert Player(sink).play([chunk]).chunks == 1
    assert sink.frames_written == chunk.num_samples


def test_missing_earcon_files_fall_back_to_a_beep(tmp_path: Path):
    chunk = load_earcon(Earcon.ERROR, tmp_path)
    assert chunk.format.rate == 22050 and chunk.seconds == pytest.approx(0.2)
    assert max(abs(int(s)) for s in chunk.samples()) > 3000


def test_earcons_can_be_switched_off():
    assert earcon_audio(Earcon.WAKE, enabled=False) == []
    assert earcon_audio(Earcon.WAKE)[0] == load_earcon(Earcon.WAKE)


def test_player_from_settings_takes_volume_and_mute(tmp_path: Path):
    settings = AudioOutputSettings(
        sink="file", file=tmp_path / "x.wav", volume_percent=30, muted=True, block_ms=20
    )
    player = create_player(settings)
    assert isinstance(player.sink, WavFileSink)
    assert player.sink.volume_percent == 30 and player.sink.muted and player.block_ms == 20


def test_player_from_settings_with_a_fixed_rate(tmp_path: Path):
    settings = AudioOutputSettings(sink="file", file=tmp_path / "r.wav", sample_rate=16000)
    player = create_player(settings)
    player.play([tone(0.5)])
    player.sink.close()
    with wave.open(str(tmp_path / "r.wav")) as wav:
        assert wav.getframerate() == 16000 and wav.getnframes() == 8000


def test_the_file_sink_holds_the_last_answer(tmp_path: Path):
    path = tmp_path / "last.wav"
    player = Player(WavFileSink(path))
    player.play([tone(0.5)])
    player.play([tone(0.2)])
    with wave.open(str(path)) as wav:
        assert wav.getnframes() == int(0.2 * VOICE.rate)
