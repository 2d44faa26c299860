"""hey_jarvis on real synthetic speech: fires once where it should, never on other speech."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from edge_os.audio.format import AudioChunk
from edge_os.audio.wav import read_wav
from edge_os.errors import ModelError, WakeWordError
from edge_os.wake.models import models_dir, resolve
from edge_os.wake.openwakeword import OpenWakeWord
from tests import speech
from tests.audio.clips import RATE, command_clip


def detector(**options: float) -> OpenWakeWord:
    return OpenWakeWord(resolve(["hey_jarvis"]), **options)  # type: ignore[arg-type]


def stream(wake: OpenWakeWord, audio: AudioChunk, block: int = 1280) -> list[tuple[int, float]]:
    found = []
    for start in range(0, len(audio.pcm), 2 * block):
        chunk = AudioChunk(audio.pcm[start : start + 2 * block], offset=start // 2)
        found += [(d.offset, d.score) for d in wake.process(chunk)]
    return found


@pytest.mark.parametrize(
    ("voice", "speed_wpm"),
    [("en-gb", 140), ("en-us", 170), ("en-us+f3", 140), ("en-us+f2", 170), ("en", 140)],
)
def test_fires_once_just_after_the_wake_word(voice: str, speed_wpm: int) -> None:
    clip = command_clip(voice=voice, speed_wpm=speed_wpm)
    found = stream(detector(threshold=0.5, patience_frames=2), read_wav(clip.path))
    assert len(found) == 1, found
    offset, score = found[0]
    assert score >= 0.5
    # after the wake word ends, within a second, and before the command is over
    assert clip.wake[1] <= offset <= clip.wake[1] + RATE
    assert offset < clip.command[1]


@pytest.mark.parametrize("snr_db", [10, 5])
def test_fires_in_noise(snr_db: float) -> None:
    clip = command_clip()
    found = stream(detector(patience_frames=2), read_wav(speech.with_noise(clip.path, snr_db)))
    assert len(found) == 1
    assert clip.wake[1] <= found[0][0] <= clip.wake[1] + RATE


@pytest.mark.parametrize(
    ("text", "voice"),
    [
        ("hey travis, turn off the lights", "en-us"),
        ("what is the weather like today", "en-gb"),
        ("the quick brown fox jumps over the lazy dog", "en-us+f3"),
        ("hey siri, play some music in the living room", "en-us"),
        ("jars of jam are in the kitchen", "en-gb"),
    ],
)
def test_silent_on_other_speech(text: str, voice: str) -> None:
    clip = speech.concat(speech.espeak(text, voice))
    assert stream(detector(patience_frames=1), read_wav(clip)) == []


def test_silent_on_noise() -> None:
    noise = speech.with_noise(speech.concat(speech.espeak("okay", "en-us"), tail_seconds=5), 0)
    assert stream(detector(patience_frames=1), read_wav(noise)) == []


def test_chunk_size_does_not_change_detections() -> None:
    audio = read_wav(command_clip().path)
    results = [stream(detector(), audio, block) for block in (160, 1280, 4000, 16000)]
    assert all(result == results[0] for result in results)
    assert len(results[0]) == 1


def test_refractory_period_gives_one_detection_per_utterance() -> None:
    wake = detector(patience_frames=1, refractory_seconds=0.0)
    many = stream(wake, read_wav(command_clip().path))
    wake = detector(patience_frames=1, refractory_seconds=2.0)
    once = stream(wake, read_wav(command_clip().path))
    assert len(many) > 1  # scores stay above the threshold for several frames
    assert len(once) == 1


def test_matches_openwakeword_reference_model() -> None:
    """Same scores as openwakeword.Model (ONNX backend) once both buffers hold real audio."""
    oww_model = pytest.importorskip("openwakeword.model")
    reference = oww_model.Model(
        wakeword_models=[str(models_dir() / "hey_jarvis_v0.1.onnx")], inference_framework="onnx"
    )
    wake = detector()
    audio = read_wav(command_clip().path)
    ours, theirs = [], []
    samples = audio.samples()
    for start in range(0, len(samples) - 1279, 1280):
        frame = samples[start : start + 1280]
        theirs.append(reference.predict(frame)["hey_jarvis_v0.1"])
        wake.process(AudioChunk(frame.tobytes(), offset=start))
        ours.append(wake.last_scores["hey_jarvis"])
    ours_a, theirs_a = np.array(ours), np.array(theirs)
    # both peak on the same plateau (its frames score within 1e-3 of each other)
    assert theirs_a[ours_a.argmax()] > theirs_a.max() - 0.01
    assert np.abs(ours_a - theirs_a)[10:].max() < 0.1
    assert theirs_a.max() > 0.9


def test_custom_onnx_model_by_path(tmp_path: Path) -> None:
    custom = tmp_path / "my_word.onnx"
    shutil.copy(models_dir() / "hey_jarvis_v0.1.onnx", custom)
    wake = OpenWakeWord(resolve([str(custom)]))
    assert wake.names == ["my_word"]
    found = wake.process(read_wav(command_clip().path))
    assert [d.model for d in found] == ["my_word"]


def test_garbage_onnx_is_a_model_error(tmp_path: Path) -> None:
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="cannot load wake broken"):
        OpenWakeWord(resolve([str(bad)]))


def test_onnx_that_is_not_a_classifier_is_refused() -> None:
    with pytest.raises(WakeWordError, match="not an openWakeWord classifier"):
        OpenWakeWord(resolve([str(models_dir() / "embedding_model.onnx")]))


def test_missing_custom_model() -> None:
    with pytest.raises(ModelError, match="does not exist"):
        resolve(["/nonexistent/word.onnx"])
