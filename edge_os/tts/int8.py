"""A Piper voice with INT8 weights where they weigh most, built once on this machine.

A medium Piper voice holds 63 MB of float32 weights, 95 % of them in the convolutions of the
text encoder (``enc_p``, 25 MB), the flow (28 MB) and the duration predictor (``dp``). Each
of those weights is stored here as int8 with one scale per output channel, and a
``DequantizeLinear`` node turns it back into float32 just before its convolution runs
(onnxruntime keeps such nodes rather than folding them into float32 constants, and frees
each output once its convolution has run). The
activations stay float32 and the decoder, which makes the waveform, is left as it is. The
session then holds 40 MB less; synthesis takes about as long, and the audio differs from the
float32 voice's by a third of what Piper's own sampling noise changes from one run to the
next (bench/tts.py).

Dynamic INT8 of the whole voice (int8 activations too) was 3.6 times slower (RESULTS.md).

The copy is written to ``<models_dir>/tts-<voice>-int8/`` with a ``build.json`` by a child
process (``python -m edge_os.tts.int8 SOURCE OUT``), so that the service's own peak memory
never holds the voice's graph twice; later starts load it directly.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

from edge_os.errors import ErrorCode, ModelError
from edge_os.models.checksum import sha256_of
from edge_os.models.record import read_record, write_record

_LOGGER = logging.getLogger(__name__)

PARTS = ("enc_p", "dp", "flow")
"""Top-level modules of the VITS graph whose convolution weights become int8."""
BUILD_SECONDS = 300
"""Longest a build may take before the float32 voice is used instead."""


def int8_voice_path(source: Path, models_folder: Path) -> Path:
    """Where the INT8 copy of voice ``source`` lives (it may not exist yet)."""
    return models_folder / f"tts-{source.stem}-int8" / f"{source.stem}.int8.onnx"


def int8_voice(source: Path, models_folder: Path) -> Path:
    """The INT8-weight copy of Piper voice ``source``, built now if it is missing or was
    built from another file; ModelError when it cannot be built."""
    out = int8_voice_path(source, models_folder)
    if _is_current(source, out):
        return out
    _LOGGER.info("writing an INT8 copy of the Piper voice %s to %s (once)", source.name, out)
    try:
        subprocess.run(
            [sys.executable, "-m", __name__, str(source), str(out)],
            check=True,
            capture_output=True,
            timeout=BUILD_SECONDS,
        )
    except subprocess.CalledProcessError as err:
        why = err.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise ModelError(
            ErrorCode.MODEL_MISSING, f"cannot write an INT8 copy of {source}: {why[0]}"
        ) from None
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ModelError(
            ErrorCode.MODEL_MISSING, f"cannot write an INT8 copy of {source}: {err}"
        ) from None
    if not _is_current(source, out):
        raise ModelError(ErrorCode.MODEL_CHECKSUM, f"{out} does not match its build record")
    return out


def _is_current(source: Path, out: Path) -> bool:
    """Whether ``out`` was built from ``source`` as it is now and is intact."""
    try:
        record = read_record(out.parent)
        stat = source.stat()
    except (ModelError, OSError):
        return False
    return (
        record is not None
        and record.extra.get("source_bytes") == stat.st_size
        and record.extra.get("source_mtime_ns") == stat.st_mtime_ns
        and out.is_file()
        and record.files.get(out.name) == sha256_of(out)
    )


def write_int8_voice(source: Path, out: Path) -> int:
    """Write the INT8-weight copy of ``source`` to ``out`` with its build record; returns how
    many convolution weights became int8."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(source))
    graph = model.graph
    weights = {tensor.name: tensor for tensor in graph.initializer}
    uses: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            uses[name] = uses.get(name, 0) + 1
    dequantize, nodes = [], []
    for node in graph.node:
        name = node.input[1] if len(node.input) > 1 else ""
        part = node.name.split("/")[1] if node.name.count("/") > 1 else ""
        if (
            node.op_type in ("Conv", "ConvTranspose")
            and part in PARTS
            and name in weights
            and uses[name] == 1
        ):
            weight = numpy_helper.to_array(weights[name]).astype(np.float32)
            axis = 0 if node.op_type == "Conv" else 1  # ConvTranspose: (in, out, kernel)
            others = tuple(i for i in range(weight.ndim) if i != axis)
            scale = np.abs(weight).max(axis=others) / 127.0
            scale[scale == 0] = 1.0
            shape = [1] * weight.ndim
            shape[axis] = -1
            quantized = np.clip(np.round(weight / scale.reshape(shape)), -127, 127)
            graph.initializer.remove(weights[name])
            graph.initializer.extend([
                numpy_helper.from_array(quantized.astype(np.int8), f"{name}_int8"),
                numpy_helper.from_array(scale.astype(np.float32), f"{name}_scale"),
                numpy_helper.from_array(np.zeros(scale.shape, np.int8), f"{name}_zero"),
            ])  # fmt: skip
            dequantize.append(
                helper.make_node(
                    "DequantizeLinear",
                    [f"{name}_int8", f"{name}_scale", f"{name}_zero"],
                    [name],
                    name=f"{name}_dequantize",
                    axis=axis,
                )
            )
        nodes.append(node)
    del graph.node[:]
    # First in the file, so that onnxruntime runs each just before its convolution: placed
    # beside them, it ran them all at the start and held every float32 weight at once.
    graph.node.extend([*dequantize, *nodes])
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.{os.getpid()}")
    onnx.save(model, str(partial))
    os.replace(partial, out)
    stat = source.stat()
    write_record(
        out.parent,
        f"tts-{source.stem}-int8",
        source_package="",
        source_files={source.name: source},
        files=[out.name],
        extra={
            "method": "int8 weights, one scale per output channel, float32 activations",
            "parts": list(PARTS),
            "weights": len(dequantize),
            "source_bytes": stat.st_size,
            "source_mtime_ns": stat.st_mtime_ns,
        },
    )
    return len(dequantize)


def main(argv: list[str]) -> int:
    """``python -m edge_os.tts.int8 SOURCE OUT``: what :func:`int8_voice` runs."""
    if len(argv) != 2:
        print("usage: python -m edge_os.tts.int8 SOURCE.onnx OUT.onnx", file=sys.stderr)
        return 2
    count = write_int8_voice(Path(argv[0]), Path(argv[1]))
    print(f"{count} convolution weights written as int8 to {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
