"""The Piper voice with INT8 weights: built once from the real voice, heard right by Whisper,
as close to the float32 voice as Piper's own sampling noise allows, and decoded in pieces
that join as the whole sentence would."""

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
from edge_os.tts.int8 import PARTS, VoiceGraphs, int8_voice, int8_voice_graphs
from edge_os.tts.piper_voice import (
    FIRST_FRAMES,
    QUIETEST_PEAK,
    PiperTextToSpeech,
    _limited,
    resolve_voice,
)
from tests.tts.conftest import piper_samples, spectral_distance, transcribe, wer
from tests.tts.test_tts_piper import SPOKEN

SOURCE = resolve_voice("en_US-joe-medium")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> VoiceGraphs:
    return int8_voice(SOURCE, tmp_path_factory.mktemp("models"))


def sessions(graphs: VoiceGraphs) -> tuple[ort.InferenceSession, ort.InferenceSession]:
    return ort.InferenceSession(str(graphs.front)), ort.InferenceSession(str(graphs.decoder))


def test_the_copy_holds_int8_weights_with_their_record(built: VoiceGraphs):
    model = onnx.load(str(built.front))
    kinds = {tensor.data_type for tensor in model.graph.initializer if tensor.dims}
    assert onnx.TensorProto.INT8 in kinds
    dequantize = [node for node in model.graph.node if node.op_type == "DequantizeLinear"]
    convolutions = [node for node in model.graph.node if node.op_type == "Conv"]
    assert len(dequantize) > 100 and len(convolutions) == len(dequantize)  # all but the decoder's
    # every one leads the graph: onnxruntime then runs each just before its convolution
    assert list(model.graph.node)[: len(dequantize)] == dequantize
    weights = {node.output[0] for node in dequantize}
    parts = {node.name.split("/")[1] for node in convolutions if node.input[1] in weights}
    assert parts == set(PARTS)
    decoder = onnx.load(str(built.decoder))  # it makes the waveform: float32 as in the voice
    assert {node.name.split("/")[1] for node in decoder.graph.node if node.name.count("/") > 1} == {
        "dec"
    }
    assert [i.name for i in decoder.graph.input] == [o.name for o in model.graph.output]
    assert [i.name for i in decoder.graph.input] == [built.frames]
    assert onnx.TensorProto.INT8 not in {tensor.data_type for tensor in decoder.graph.initializer}
    size = built.front.stat().st_size + built.decoder.stat().st_size
    assert size < 0.4 * SOURCE.stat().st_size
    record = read_record(built.front.parent)
    assert record is not None
    assert record.extra["parts"] == list(PARTS)
    assert record.extra["weights"] == len(dequantize)
    assert record.extra["frames"] == built.frames
    assert record.source_files == {
        SOURCE.name: "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"
    }


def test_whisper_hears_the_int8_voice(built: VoiceGraphs, whisper: object):
    voice = PiperTextToSpeech(SOURCE, graphs=built, sentence_silence_seconds=0.15)
    heard = transcribe(whisper, list(voice.synthesize(SPOKEN)))
    assert wer(SPOKEN, heard) <= 0.2, heard


def test_the_int8_voice_differs_from_float32_less_than_piper_from_itself(built: VoiceGraphs):
    voice = PiperTextToSpeech(SOURCE)
    plain_voice = ort.InferenceSession(str(SOURCE))
    front, decoder = sessions(built)

    quantized, sampled = [], []
    for text in ("Turned on the kitchen light.", "Do you want me to unlock the front door?"):
        plain = piper_samples(plain_voice, voice, text, noise=False)
        int8 = piper_samples(front, voice, text, noise=False, decoder=decoder)
        quantized.append(spectral_distance(plain, int8))
        noisy = piper_samples(plain_voice, voice, text, noise=True)
        sampled.append(spectral_distance(plain, noisy))
    assert np.mean(quantized) < 0.5 * np.mean(sampled), (quantized, sampled)
    assert np.mean(quantized) > 0.01  # it is another voice file, not the same one


def test_it_is_built_once_and_again_when_the_voice_changes(tmp_path: Path):
    source = tmp_path / "voice" / SOURCE.name
    source.parent.mkdir()
    shutil.copy(SOURCE, source)
    models = tmp_path / "models"
    built = int8_voice(source, models)
    first = built.front.stat().st_mtime_ns
    assert int8_voice(source, models) == built and built.front.stat().st_mtime_ns == first
    os.utime(source, ns=(first + 10**9, first + 10**9))
    assert int8_voice(source, models) == built
    assert built.front.stat().st_mtime_ns != first
    built.decoder.write_bytes(b"damaged")  # not what the record says: written again
    assert int8_voice(source, models).decoder.stat().st_size > 1_000_000


def test_a_copy_of_the_old_layout_is_replaced_and_removed(tmp_path: Path):
    models = tmp_path / "models"
    old = int8_voice_graphs(SOURCE, models).front.parent / f"{SOURCE.stem}.int8.onnx"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"layout 1: the voice as one graph")  # no record of layout 2
    built = int8_voice(SOURCE, models)
    assert built.front.is_file() and built.decoder.is_file()
    assert not old.exists()


def test_a_voice_that_is_no_onnx_file_is_a_model_error(tmp_path: Path):
    source = tmp_path / "broken.onnx"
    source.write_bytes(b"not a model")
    with pytest.raises(ModelError) as caught:
        int8_voice(source, tmp_path / "models")
    assert "cannot write an INT8 copy of" in caught.value.message
    assert str(source) in caught.value.message
    assert not int8_voice_graphs(source, tmp_path / "models").front.exists()


def test_the_service_speaks_with_float32_weights_when_the_copy_cannot_be_written(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with caplog.at_level(logging.WARNING, logger="edge_os.tts.factory"):
        voice = create_tts(TtsSettings(), state_dir=blocker / "state")
    assert voice.engine == "piper"
    assert "keeps its float32 weights" in caplog.text
    assert len(list(voice.synthesize("Done."))) == 1  # the sentence, whole


def test_a_sentence_comes_in_pieces_that_join_as_the_whole(built: VoiceGraphs):
    voice = PiperTextToSpeech(SOURCE, graphs=built, sentence_silence_seconds=0.15)
    config = voice._voice.config
    config.noise_scale = config.noise_w = 0.0  # no sampling noise: the same every time
    text = "The front door is locked and the thermostat is set to twenty one degrees."
    chunks = list(voice.synthesize(text))
    pause = int(0.15 * 22050)  # after the last piece
    assert chunks[-1].pcm.endswith(bytes(2 * pause))
    assert len(chunks) >= 3
    assert len(chunks[0].pcm) == 2 * 256 * FIRST_FRAMES  # the first piece is short
    assert [c.offset for c in chunks[1:]] == [c.end for c in chunks[:-1]]
    pcm = b"".join(c.pcm for c in chunks)[: -2 * pause]
    pieces = np.frombuffer(pcm, "<i2").astype(np.float32) / 32767
    front, decoder = sessions(built)
    whole = piper_samples(front, voice, text, noise=False, decoder=decoder)
    assert config.length_scale == 1.0  # as piper_samples speaks
    assert len(pieces) == len(whole)
    # one scale for the sentence, from its first piece (Piper's own scales each sentence)
    scale = 1 / max(QUIETEST_PEAK, np.abs(whole[: 256 * FIRST_FRAMES]).max())
    assert np.abs(pieces - _limited(whole * scale)).max() < 2e-3
    assert 0.5 < np.abs(pieces).max() <= 1.0
