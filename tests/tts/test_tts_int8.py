"""The Piper voice with INT8 weights: built once from the real voice, heard right by Whisper,
and as close to the float32 voice as Piper's own sampling noise allows."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from edge_os.config.settings import TtsSettings
from edge_os.errors import ModelError
from edge_os.models.record import read_record
from edge_os.tts.factory import create_tts
from edge_os.tts.int8 import PARTS, int8_voice, int8_voice_path
from edge_os.tts.piper_voice import PiperTextToSpeech, resolve_voice
from tests.tts.conftest import piper_samples, spectral_distance, transcribe, wer
from tests.tts.test_tts_piper import SPOKEN

SOURCE = resolve_voice("en_US-joe-medium")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return int8_voice(SOURCE, tmp_path_factory.mktemp("models"))


def test_the_copy_holds_int8_weights_with_their_record(built: Path):
    model = onnx.load(str(built))
    kinds = {tensor.data_type for tensor in model.graph.initializer if tensor.dims}
    assert onnx.TensorProto.INT8 in kinds
    dequantize = [node for node in model.graph.node if node.op_type == "DequantizeLinear"]
    convolutions = [node for node in model.graph.node if node.op_type == "Conv"]
    assert len(dequantize) > 100 and len(convolutions) > len(dequantize)
    # every one leads the graph: onnxruntime then runs each just before its convolution
    assert list(model.graph.node)[: len(dequantize)] == dequantize
    weights = {node.output[0] for node in dequantize}
    parts = {node.name.split("/")[1] for node in convolutions if node.input[1] in weights}
    assert parts == set(PARTS)  # the decoder, which makes the waveform, keeps float32
    assert built.stat().st_size < 0.4 * SOURCE.stat().st_size
    record = read_record(built.parent)
    assert record is not None
    assert record.extra["parts"] == list(PARTS)
    assert record.extra["weights"] == len(dequantize)
    assert record.source_files == {
        SOURCE.name: "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"
    }


def test_whisper_hears_the_int8_voice(built: Path, whisper: object):
    voice = PiperTextToSpeech(SOURCE, weights=built, sentence_silence_seconds=0.15)
    heard = transcribe(whisper, list(voice.synthesize(SPOKEN)))
    assert wer(SPOKEN, heard) <= 0.2, heard


def test_the_int8_voice_differs_from_float32_less_than_piper_from_itself(built: Path):
    voice = PiperTextToSpeech(SOURCE)
    plain_voice, int8 = (ort.InferenceSession(str(path)) for path in (SOURCE, built))

    def speak(session: ort.InferenceSession, text: str, noise: bool) -> np.ndarray:
        return piper_samples(session, voice, text, noise=noise)

    quantized, sampled = [], []
    for text in ("Turned on the kitchen light.", "Do you want me to unlock the front door?"):
        plain = speak(plain_voice, text, noise=False)
        quantized.append(spectral_distance(plain, speak(int8, text, noise=False)))
        sampled.append(spectral_distance(plain, speak(plain_voice, text, noise=True)))
    assert np.mean(quantized) < 0.5 * np.mean(sampled), (quantized, sampled)
    assert np.mean(quantized) > 0.01  # it is another voice file, not the same one


def test_it_is_built_once_and_again_when_the_voice_changes(tmp_path: Path):
    source = tmp_path / "voice" / SOURCE.name
    source.parent.mkdir()
    shutil.copy(SOURCE, source)
    models = tmp_path / "models"
    built = int8_voice(source, models)
    first = built.stat().st_mtime_ns
    assert int8_voice(source, models) == built and built.stat().st_mtime_ns == first
    os.utime(source, ns=(first + 10**9, first + 10**9))
    assert int8_voice(source, models) == built
    assert built.stat().st_mtime_ns != first
    built.write_bytes(b"damaged")  # not what the record says: written again
    assert int8_voice(source, models).stat().st_size > 1_000_000


def test_a_voice_that_is_no_onnx_file_is_a_model_error(tmp_path: Path):
    source = tmp_path / "broken.onnx"
    source.write_bytes(b"not a model")
    with pytest.raises(ModelError) as caught:
        int8_voice(source, tmp_path / "models")
    assert "cannot write an INT8 copy of" in caught.value.message
    assert str(source) in caught.value.message
    assert not int8_voice_path(source, tmp_path / "models").exists()


def test_the_service_speaks_with_float32_weights_when_the_copy_cannot_be_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with caplog.at_level(logging.WARNING, logger="edge_os.tts.factory"):
        voice = create_tts(TtsSettings(), state_dir=blocker / "state")
    assert voice.engine == "piper"
    assert "keeps its float32 weights" in caplog.text
    assert len(list(voice.synthesize("Done."))) == 1
