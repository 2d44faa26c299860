"""Silero VAD v6 streamed in chunks gives exactly faster-whisper's probabilities."""

from __future__ import annotations

import numpy as np
import pytest

from edge_os.audio.format import AudioChunk
from edge_os.audio.wav import read_wav
from edge_os.vad.silero import WINDOW_SAMPLES, SileroVad, silero_path
from tests.audio.clips import command_clip


def streamed(vad: SileroVad, audio: AudioChunk, block: int) -> list[float]:
    probabilities = []
    for start in range(0, len(audio.pcm), 2 * block):
        chunk = AudioChunk(audio.pcm[start : start + 2 * block], offset=start // 2)
        frames = vad.process(chunk)
        probabilities += [frame.probability for frame in frames]
    return probabilities


@pytest.mark.parametrize("block", [160, 1280, 8000])
def test_streaming_equals_faster_whisper(block: int) -> None:
    vad_module = pytest.importorskip("faster_whisper.vad")
    audio = read_wav(command_clip().path)
    samples = audio.samples().astype(np.float32) / 32768.0
    n = len(samples) // WINDOW_SAMPLES * WINDOW_SAMPLES
    reference = vad_module.SileroVADModel(str(silero_path()))(samples[:n]).reshape(-1)
    ours = streamed(SileroVad(), audio, block)
    assert len(ours) == len(reference)
    assert np.allclose(ours, reference, atol=1e-5)


def test_windows_are_contiguous_and_find_the_speech() -> None:
    clip = command_clip()
    vad = SileroVad()
    frames = vad.process(read_wav(clip.path))
    assert [f.start for f in frames[1:]] == [f.end for f in frames[:-1]]
    speech = [f for f in frames if f.probability >= 0.5]
    start, end = clip.command
    assert any(start <= f.start < end for f in speech)
    assert all(f.probability < 0.5 for f in frames if f.end < clip.wake[0])  # leading silence


def test_reset_forgets_state() -> None:
    audio = read_wav(command_clip().path)
    vad = SileroVad()
    first = [f.probability for f in vad.process(audio)]
    vad.reset()
    again = [f.probability for f in vad.process(audio)]
    assert first == again
