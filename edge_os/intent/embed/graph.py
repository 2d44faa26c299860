"""The all-MiniLM-L6-v2 encoder as an ONNX graph, written node by node from its weights.

No torch and no exporter: :func:`encoder_graph` lays out BERT's embeddings, six post-LayerNorm
layers (self-attention, erf GELU feed-forward), mean pooling over the attention mask and L2
normalisation with ``onnx.helper``, the weights as numpy initializers. Inputs and output::

    input_ids           int64   [batch, tokens]   ([CLS] ... [SEP], right-padded)
    attention_mask      int64   [batch, tokens]   (1 for real tokens, 0 for padding)
    sentence_embedding  float32 [batch, hidden]   mean over real tokens, L2-normalised

which is what sentence-transformers computes for this model (Transformer, mean Pooling,
Normalize). Token type ids are all 0 for single sentences, so that row is a constant.
Every node and initializer has a fixed name, so the same weights give the same bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from edge_os.errors import ErrorCode, ModelError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float32]

OPSET = 17  # LayerNormalization; onnxruntime >= 1.17 runs it
IR_VERSION = 8
MASK_BIAS = -10000.0  # added to the scores of padding: exp() underflows to exactly 0
OUTPUT = "sentence_embedding"


@dataclass(frozen=True)
class BertShape:
    """What the graph needs from the checkpoint's config.json."""

    layers: int
    hidden: int
    heads: int
    layer_norm_eps: float

    @property
    def head_dim(self) -> int:
        """Width of one attention head."""
        return self.hidden // self.heads

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> BertShape:
        """Read and check a BERT config.json (absolute positions, erf GELU)."""
        if config.get("hidden_act") != "gelu":
            raise ModelError(ErrorCode.MODEL_MISSING, f"unsupported act {config.get('hidden_act')}")
        if config.get("position_embedding_type", "absolute") != "absolute":
            raise ModelError(ErrorCode.MODEL_MISSING, "only absolute position embeddings")
        return cls(
            layers=int(config["num_hidden_layers"]),
            hidden=int(config["hidden_size"]),
            heads=int(config["num_attention_heads"]),
            layer_norm_eps=float(config["layer_norm_eps"]),
        )


class _Graph:
    """Collects nodes and initializers; every value gets a readable, deterministic name."""

    def __init__(self, smooth: dict[str, FloatArray]) -> None:
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._names: set[str] = set()
        self.smooth = smooth
        """Power-of-two scale per input channel, by MatMul input name (``build.smoothing``)."""

    def const(self, name: str, value: Any) -> str:
        from onnx import numpy_helper

        if name in self._names:
            raise ValueError(f"duplicate name {name}")
        self._names.add(name)
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def op(self, op_type: str, inputs: list[str], name: str, **attrs: Any) -> str:
        from onnx import helper

        if name in self._names:
            raise ValueError(f"duplicate name {name}")
        self._names.add(name)
        self.nodes.append(helper.make_node(op_type, inputs, [name], name=name, **attrs))
        return name

    def i64(self, name: str, *values: int) -> str:
        """An int64 vector constant."""
        import numpy as np

        return self.const(name, np.asarray(values, dtype=np.int64))

    def f32(self, name: str, value: float) -> str:
        """A float32 scalar constant."""
        import numpy as np

        return self.const(name, np.asarray(value, dtype=np.float32))

    def linear(self, x: str, weights: dict[str, FloatArray], prefix: str) -> str:
        """x @ W.T + b, the weight stored transposed so MatMul quantizes per output column."""
        import numpy as np

        weight_t = np.ascontiguousarray(weights[f"{prefix}.weight"].T)
        if (scale := self.smooth.get(x)) is not None:
            # x / s @ (s * W.T) == x @ W.T exactly: s is a power of two per input channel.
            smoothed = f"{x}/smoothed"
            if smoothed not in self._names:  # query, key and value share one input
                self.op("Mul", [x, self.const(f"{x}/inverse_scale", 1.0 / scale)], smoothed)
            x, weight_t = smoothed, weight_t * scale[:, None]
        weight = self.const(f"{prefix}.weight_t", weight_t)
        bias = self.const(f"{prefix}.bias", weights[f"{prefix}.bias"])
        return self.op("Add", [self.op("MatMul", [x, weight], f"{prefix}/matmul"), bias], prefix)

    def layer_norm(self, x: str, weights: dict[str, FloatArray], prefix: str, eps: float) -> str:
        scale = self.const(f"{prefix}.weight", weights[f"{prefix}.weight"])
        bias = self.const(f"{prefix}.bias", weights[f"{prefix}.bias"])
        return self.op("LayerNormalization", [x, scale, bias], prefix, axis=-1, epsilon=eps)


def encoder_graph(
    weights: dict[str, FloatArray], shape: BertShape, smooth: dict[str, FloatArray] | None = None
) -> Any:
    """The ONNX ModelProto of the BERT encoder + mean pooling + L2 normalisation.

    ``smooth`` (from :func:`edge_os.intent.embed.build.smoothing`) moves activation
    outliers into the weights before INT8 quantization; the float result is unchanged.
    """
    from onnx import TensorProto, helper

    g = _Graph(smooth or {})
    x = _embeddings(g, weights, shape)
    mask = g.op("Cast", ["attention_mask"], "mask/float", to=TensorProto.FLOAT)
    # Attention bias [batch, 1, 1, tokens]: 0 for tokens, MASK_BIAS for padding.
    padding = g.op("Sub", [g.f32("const/one_f", 1.0), mask], "mask/padding")
    bias = g.op("Mul", [padding, g.f32("const/mask_bias", MASK_BIAS)], "mask/bias_2d")
    bias = g.op("Unsqueeze", [bias, g.i64("const/axes_1_2", 1, 2)], "mask/bias")
    for index in range(shape.layers):
        x = _layer(g, weights, shape, x, bias=bias, p=f"encoder.layer.{index}")
    # Mean over real tokens, then divide by the L2 norm (eps as torch's F.normalize).
    weight = g.op("Unsqueeze", [mask, g.i64("const/axis_2", 2)], "pool/weight")
    axis1 = g.i64("const/axis_1", 1)
    masked = g.op("Mul", [x, weight], "pool/masked")
    total = g.op("ReduceSum", [masked, axis1], "pool/sum", keepdims=0)
    count = g.op("ReduceSum", [mask, axis1], "pool/count", keepdims=1)
    count = g.op("Max", [count, g.f32("const/min_count", 1e-9)], "pool/count_safe")
    mean = g.op("Div", [total, count], "pool/mean")
    norm = g.op("ReduceL2", [mean], "norm/l2", axes=[1], keepdims=1)  # axes: an input from 18
    norm = g.op("Max", [norm, g.f32("const/min_norm", 1e-12)], "norm/l2_safe")
    g.op("Div", [mean, norm], OUTPUT)
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"])
    mask_in = helper.make_tensor_value_info(
        "attention_mask", TensorProto.INT64, ["batch", "tokens"]
    )
    out = helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", shape.hidden])
    graph = helper.make_graph(
        g.nodes, "all-MiniLM-L6-v2", [ids, mask_in], [out], initializer=g.initializers
    )
    return helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="edge-os",
        ir_version=IR_VERSION,
    )


def _embeddings(g: _Graph, weights: dict[str, FloatArray], shape: BertShape) -> str:
    """Word + position + token-type-0 embeddings, then LayerNorm: [batch, tokens, hidden]."""
    import numpy as np

    dims = g.op("Shape", ["input_ids"], "embeddings/dims")
    one, zero = g.const("const/one", np.int64(1)), g.const("const/zero", np.int64(0))
    tokens = g.op("Gather", [dims, one], "embeddings/tokens", axis=0)  # a scalar, as Range wants
    positions = g.op("Range", [zero, tokens, one], "embeddings/positions")
    table = g.const("embeddings.word", weights["embeddings.word_embeddings.weight"])
    words = g.op("Gather", [table, "input_ids"], "embeddings/word")
    table = g.const("embeddings.position", weights["embeddings.position_embeddings.weight"])
    where = g.op("Gather", [table, positions], "embeddings/position")
    kind = weights["embeddings.token_type_embeddings.weight"][0].copy()
    x = g.op("Add", [words, where], "embeddings/sum")
    x = g.op("Add", [x, g.const("embeddings.token_type_0", kind)], "embeddings/typed")
    return g.layer_norm(x, weights, "embeddings.LayerNorm", shape.layer_norm_eps)


def _layer(
    g: _Graph, weights: dict[str, FloatArray], shape: BertShape, x: str, *, bias: str, p: str
) -> str:
    """One post-LayerNorm BERT layer: self-attention, then the GELU feed-forward."""
    split = g.i64(f"{p}/split_shape", 0, 0, shape.heads, shape.head_dim)

    def heads(name: str, perm: list[int]) -> str:
        out = g.linear(x, weights, f"{p}.attention.self.{name}")
        out = g.op("Reshape", [out, split], f"{p}/{name}/split")
        return g.op("Transpose", [out], f"{p}/{name}/heads", perm=perm)

    q = heads("query", [0, 2, 1, 3])  # [batch, heads, tokens, head_dim]
    k = heads("key", [0, 2, 3, 1])  # [batch, heads, head_dim, tokens]
    v = heads("value", [0, 2, 1, 3])
    scores = g.op("MatMul", [q, k], f"{p}/scores")
    scale = g.f32(f"{p}/scale", 1.0 / math.sqrt(shape.head_dim))
    scores = g.op("Mul", [scores, scale], f"{p}/scaled")
    probs = g.op("Softmax", [g.op("Add", [scores, bias], f"{p}/masked")], f"{p}/probs", axis=-1)
    context = g.op("MatMul", [probs, v], f"{p}/context")
    context = g.op("Transpose", [context], f"{p}/context/tokens", perm=[0, 2, 1, 3])
    join = g.i64(f"{p}/join_shape", 0, 0, shape.hidden)
    context = g.op("Reshape", [context, join], f"{p}/context/joined")
    attended = g.linear(context, weights, f"{p}.attention.output.dense")
    attended = g.op("Add", [attended, x], f"{p}/attention/residual")
    eps = shape.layer_norm_eps
    x = g.layer_norm(attended, weights, f"{p}.attention.output.LayerNorm", eps)
    # GELU, erf form (BERT's "gelu"); onnxruntime fuses the pattern into one Gelu node.
    up = g.linear(x, weights, f"{p}.intermediate.dense")
    erf = g.op(
        "Erf",
        [g.op("Div", [up, g.f32(f"{p}/sqrt2", math.sqrt(2.0))], f"{p}/gelu/div")],
        f"{p}/gelu/erf",
    )
    gate = g.op("Add", [erf, g.f32(f"{p}/gelu/one", 1.0)], f"{p}/gelu/add")
    gated = g.op("Mul", [up, gate], f"{p}/gelu/mul")
    gelu = g.op("Mul", [gated, g.f32(f"{p}/gelu/half", 0.5)], f"{p}/gelu")
    down = g.linear(gelu, weights, f"{p}.output.dense")
    down = g.op("Add", [down, x], f"{p}/output/residual")
    return g.layer_norm(down, weights, f"{p}.output.LayerNorm", eps)
