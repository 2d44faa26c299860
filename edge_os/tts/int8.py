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

The copy is cut in two where the waveform decoder starts (:class:`VoiceGraphs`): the front
makes the sentence's latent frames, and the decoder turns any run of frames into audio, so
that a sentence is decoded a piece at a time (:mod:`edge_os.tts.piper_voice`): its first
audio is ready sooner and its working memory no longer grows with its length.

The copy is written to ``<models_dir>/tts-<voice>-int8/`` with a ``build.json`` by a child
process (``python -m edge_os.tts.int8 SOURCE FOLDER``), so that the service's own peak memory
never holds the voice's graph twice; later starts load it directly.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from edge_os.errors import ErrorCode, ModelError
from edge_os.models.checksum import sha256_of
from edge_os.models.record import read_record, write_record

_LOGGER = logging.getLogger(__name__)

PARTS = ("enc_p", "dp", "flow")
"""Top-level modules of the VITS graph whose convolution weights become int8."""
BUILD_SECONDS = 300
"""Longest a build may take before the float32 voice is used instead."""
DECODER = "dec"
"""The VITS graph's waveform decoder (HiFi-GAN), where the copy is cut."""
LAYOUT = 2
"""The copy's layout: 2 is a front and a decoder graph (1 was one graph)."""


@dataclass(frozen=True)
class VoiceGraphs:
    """The two graphs of a voice's copy."""

    front: Path
    """Phoneme ids, lengths and scales -> latent frames (1, channels, frames); INT8 weights."""
    decoder: Path
    """Latent frames -> waveform samples, for any run of frames; float32 as in the voice."""
    frames: str
    """The name of the decoder's input, the front's output."""


def int8_voice_graphs(source: Path, models_folder: Path) -> VoiceGraphs:
    """Where the copy of voice ``source`` lives (it may not exist yet)."""
    return _graphs_in(models_folder / f"tts-{source.stem}-int8", source.stem)


def _graphs_in(folder: Path, stem: str, frames: str = "") -> VoiceGraphs:
    return VoiceGraphs(folder / f"{stem}.front.int8.onnx", folder / f"{stem}.decoder.onnx", frames)


def int8_voice(source: Path, models_folder: Path) -> VoiceGraphs:
    """The INT8-weight copy of Piper voice ``source``, built now if it is missing or was
    built from another file; ModelError when it cannot be built."""
    graphs = _current(source, models_folder)
    if graphs is not None:
        return graphs
    folder = int8_voice_graphs(source, models_folder).front.parent
    _LOGGER.info("writing an INT8 copy of the Piper voice %s to %s (once)", source.name, folder)
    try:
        subprocess.run(
            [sys.executable, "-m", __name__, str(source), str(folder)],
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
    graphs = _current(source, models_folder)
    if graphs is None:
        raise ModelError(ErrorCode.MODEL_CHECKSUM, f"{folder} does not match its build record")
    return graphs


def _current(source: Path, models_folder: Path) -> VoiceGraphs | None:
    """The copy, when it was built from ``source`` as it is now, in this layout, and is
    intact; None otherwise."""
    graphs = int8_voice_graphs(source, models_folder)
    try:
        record = read_record(graphs.front.parent)
        stat = source.stat()
    except (ModelError, OSError):
        return None
    if (
        record is None
        or record.extra.get("layout") != LAYOUT
        or record.extra.get("source_bytes") != stat.st_size
        or record.extra.get("source_mtime_ns") != stat.st_mtime_ns
        or not isinstance(record.extra.get("frames"), str)
    ):
        return None
    for path in (graphs.front, graphs.decoder):
        if not path.is_file() or record.files.get(path.name) != sha256_of(path):
            return None
    return _graphs_in(graphs.front.parent, source.stem, str(record.extra["frames"]))


def write_int8_voice(source: Path, folder: Path) -> int:
    """Write the INT8-weight copy of ``source``, cut before its decoder, to ``folder`` with its
    build record; returns how many convolution weights became int8."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper
    from onnx.utils import Extractor

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
    # the decoder's one input that is no weight and no output of its own: the latent frames
    decoder = [node for node in nodes if node.name.startswith(f"/{DECODER}/")]
    made = {name for node in decoder for name in node.output}
    frames = sorted(
        {name for node in decoder for name in node.input if name}
        - made
        - {tensor.name for tensor in graph.initializer}
    )
    if len(frames) != 1:
        raise ValueError(f"cannot find where the voice's decoder starts: inputs {frames}")
    extractor = Extractor(model)
    graphs = _graphs_in(folder, source.stem, frames[0])
    folder.mkdir(parents=True, exist_ok=True)
    parts = {
        graphs.front: extractor.extract_model([i.name for i in graph.input], frames),
        graphs.decoder: extractor.extract_model(frames, [o.name for o in graph.output]),
    }
    for path, part in parts.items():
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        onnx.save(part, str(partial))
        os.replace(partial, path)
    (folder / f"{source.stem}.int8.onnx").unlink(missing_ok=True)  # layout 1's one graph
    stat = source.stat()
    write_record(
        folder,
        f"tts-{source.stem}-int8",
        source_package="",
        source_files={source.name: source},
        files=[path.name for path in parts],
        extra={
            "method": "int8 weights, one scale per output channel, float32 activations",
            "layout": LAYOUT,
            "frames": frames[0],
            "parts": list(PARTS),
            "weights": len(dequantize),
            "source_bytes": stat.st_size,
            "source_mtime_ns": stat.st_mtime_ns,
        },
    )
    return len(dequantize)


def main(argv: list[str]) -> int:
    """``python -m edge_os.tts.int8 SOURCE FOLDER``: what :func:`int8_voice` runs."""
    if len(argv) != 2:
        print("usage: python -m edge_os.tts.int8 SOURCE.onnx FOLDER", file=sys.stderr)
        return 2
    count = write_int8_voice(Path(argv[0]), Path(argv[1]))
    print(f"{count} convolution weights written as int8 to {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
