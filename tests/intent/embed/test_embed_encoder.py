"""SentenceEncoder: INT8 vectors close to the float graph, sensible neighbours, clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from edge_os.errors import ErrorCode, ModelError
from edge_os.intent.embed.build import BUILD_FILE, FLOAT_FILE, INT8_FILE, TOKENIZER_FILE
from edge_os.intent.embed.encoder import SentenceEncoder

np = pytest.importorskip("numpy")
pytest.importorskip("onnxruntime")
pytest.importorskip("tokenizers")


@pytest.fixture(scope="module")
def encoder(embed_model_dir: Path) -> SentenceEncoder:
    """The INT8 encoder on one thread (the service's default)."""
    return SentenceEncoder.load(embed_model_dir, threads=1)


@pytest.fixture(scope="module")
def float_encoder(embed_model_dir: Path) -> SentenceEncoder:
    """The float32 graph, the yardstick for INT8."""
    return SentenceEncoder.load(embed_model_dir, threads=1, model_file=FLOAT_FILE)


def test_vectors_are_unit_length_rows(encoder: SentenceEncoder, commands: list[str]) -> None:
    vectors = encoder.encode(commands)
    assert vectors.shape == (len(commands), 384)
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, 384)


def test_int8_is_close_to_float(
    encoder: SentenceEncoder, float_encoder: SentenceEncoder, commands: list[str]
) -> None:
    cosines = (encoder.encode(commands) * float_encoder.encode(commands)).sum(axis=1)
    worst = int(np.argmin(cosines))
    assert cosines[worst] > 0.98, f"{commands[worst]!r}: cosine {cosines[worst]:.4f}"
    assert float(cosines.mean()) > 0.99


def test_int8_keeps_the_float_neighbours(
    encoder: SentenceEncoder, float_encoder: SentenceEncoder, commands: list[str]
) -> None:
    quantized, exact = encoder.encode(commands), float_encoder.encode(commands)
    np.fill_diagonal(sims_q := quantized @ quantized.T, -1.0)
    np.fill_diagonal(sims_f := exact @ exact.T, -1.0)
    same = (sims_q.argmax(axis=1) == sims_f.argmax(axis=1)).mean()
    assert same >= 0.9


def test_meaning_beats_wording(encoder: SentenceEncoder) -> None:
    light, lamp, clock = encoder.encode(
        ["turn on the kitchen light", "switch the kitchen lamp on", "what time is it"]
    )
    assert float(light @ lamp) > float(light @ clock) + 0.3


def test_lower_cases_and_truncates(encoder: SentenceEncoder) -> None:
    upper, lower = encoder.encode(["TURN ON THE Kitchen Light", "turn on the kitchen light"])
    assert np.array_equal(upper, lower)
    long_a = "turn on the light " * 40 + "in the kitchen"
    long_b = "turn on the light " * 40 + "in the garage"
    a, b = encoder.encode([long_a, long_b])  # 162 words: both cut at 128 tokens
    assert np.array_equal(a, b)


def test_a_vector_does_not_depend_on_its_neighbours(
    encoder: SentenceEncoder, commands: list[str]
) -> None:
    together = encoder.encode(commands)
    alone = encoder.encode([commands[7]])
    assert np.array_equal(together[7], alone[0])


def test_encode_wants_a_list(encoder: SentenceEncoder) -> None:
    with pytest.raises(TypeError, match="sequence of texts"):
        encoder.encode("turn on the light")


def test_missing_build_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as caught:
        SentenceEncoder.load(tmp_path / "nothing-here")
    assert caught.value.code is ErrorCode.MODEL_MISSING
    message = str(caught.value)
    assert "sentence encoder not found" in message
    assert f"python -m edge_os.intent.embed.build --out {tmp_path / 'nothing-here'}" in message


def test_damaged_file_is_refused(embed_model_dir: Path, tmp_path: Path) -> None:
    for name in (BUILD_FILE, INT8_FILE, TOKENIZER_FILE):
        shutil.copyfile(embed_model_dir / name, tmp_path / name)
    tokenizer = json.loads((tmp_path / TOKENIZER_FILE).read_text(encoding="utf-8"))
    tokenizer["normalizer"]["lowercase"] = False
    (tmp_path / TOKENIZER_FILE).write_text(json.dumps(tokenizer), encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        SentenceEncoder.load(tmp_path)
    assert caught.value.code is ErrorCode.MODEL_CHECKSUM
    assert TOKENIZER_FILE in str(caught.value)
    assert SentenceEncoder.load(tmp_path, verify=False).encode(["ok"]).shape == (1, 384)
