"""Piper and espeak-ng synthesis, checked by ear: Whisper must hear the words back."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from edge_os.audio.format import AudioFormat
from edge_os.config.settings import TtsSettings
from edge_os.errors import ErrorCode, ModelError, UsageError
from edge_os.tts.espeak import EspeakTextToSpeech
from edge_os.tts.factory import create_tts
from edge_os.tts.piper_voice import PiperTextToSpeech, resolve_voice
from tests.tts.conftest import transcribe, wer

TEXT = "Turned on the kitchen light. The garage door is open."
SPOKEN = (
    "I turned on the kitchen light. The garage door is open. Do you want me to lock the front door?"
)
VOICE_FORMAT = AudioFormat(rate=22050, width=2, channels=1)


def rms(samples: np.ndarray) -> float:
    """Root-mean-square level of int16 samples, 0-1."""
    return float(np.sqrt(np.mean((samples.astype(np.float64) / 32768.0) ** 2)))


def test_piper_yields_one_chunk_per_sentence_in_the_voice_format(piper: PiperTextToSpeech):
    chunks = list(piper.synthesize(TEXT))
    assert len(chunks) == 2
    assert all(chunk.format == VOICE_FORMAT for chunk in chunks)
    assert chunks[0].offset == 0 and chunks[1].offset == chunks[0].end
    for chunk in chunks:
        assert 0.8 < chunk.seconds < 5.0
        assert rms(chunk.samples()) > 0.03


@pytest.mark.parametrize(
    "text", [SPOKEN, "The broker is away; I'll turn on the kitchen light as soon as it's back."]
)
def test_piper_round_trip_through_whisper(piper: PiperTextToSpeech, whisper: object, text: str):
    heard = transcribe(whisper, list(piper.synthesize(text)))
    assert wer(text, heard) <= 0.2, heard


def test_clauses_after_a_semicolon_stream_separately(piper: PiperTextToSpeech):
    chunks = list(piper.synthesize("The broker is away; I'll retry as soon as it's back."))
    assert len(chunks) == 2


def test_round_trip_bound_fails_on_the_wrong_speech(piper: PiperTextToSpeech, whisper: object):
    heard = transcribe(whisper, list(piper.synthesize("Please close all the windows upstairs.")))
    assert wer(SPOKEN, heard) > 0.6, heard


def test_slower_length_scale_gives_longer_audio():
    path = resolve_voice("en_US-joe-medium")
    fast = PiperTextToSpeech(path, length_scale=0.8)
    slow = PiperTextToSpeech(path, length_scale=1.4)
    text = "Good morning."
    seconds_fast = sum(c.seconds for c in fast.synthesize(text))
    seconds_slow = sum(c.seconds for c in slow.synthesize(text))
    assert seconds_slow > 1.3 * seconds_fast


def test_empty_text_is_a_usage_error(piper: PiperTextToSpeech):
    with pytest.raises(UsageError) as caught:
        list(piper.synthesize("  "))
    assert caught.value.code is ErrorCode.TTS_FAILED


def test_a_missing_voice_file_is_a_model_error(tmp_path: Path):
    with pytest.raises(ModelError) as caught:
        resolve_voice(str(tmp_path / "nobody.onnx"))
    assert caught.value.code is ErrorCode.MODEL_MISSING
    with pytest.raises(ModelError):
        resolve_voice("xx_XX-nobody-low")


def test_missing_voice_falls_back_to_espeak_with_a_warning(
    tmp_path: Path, whisper: object, caplog: pytest.LogCaptureFixture
):
    settings = TtsSettings(voice=str(tmp_path / "gone.onnx"))
    with caplog.at_level(logging.WARNING, logger="edge_os.tts.factory"):
        tts = create_tts(settings)
    assert tts.engine == "espeak-ng"
    assert "speaking with espeak-ng" in caplog.text
    chunks = list(tts.synthesize(TEXT))
    assert len(chunks) == 2
    assert chunks[0].format.width == 2 and chunks[0].format.channels == 1
    assert all(rms(chunk.samples()) > 0.02 for chunk in chunks)
    assert wer(TEXT, transcribe(whisper, chunks)) <= 0.35


def test_default_settings_pick_piper():
    assert create_tts(TtsSettings()).engine == "piper"
    assert create_tts(TtsSettings(engine="espeak-ng")).engine == "espeak-ng"


def test_espeak_splits_sentences_itself():
    chunks = list(EspeakTextToSpeech().synthesize("One. Two! Three?"))
    assert len(chunks) == 3
    assert chunks[2].offset == chunks[0].num_samples + chunks[1].num_samples
