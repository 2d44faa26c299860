"""The exported decoder at run time: files checked against the manifest, one forward step.

Only onnxruntime, numpy and tokenizers are needed here (imported inside the functions);
the graph's cache inputs/outputs are described in :mod:`edge_os.intent.llm.build`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_os.errors import MissingDependencyError
from edge_os.intent.llm.build import (
    BUILD_COMMAND,
    CONFIG_FILE,
    INT8_FILE,
    TOKENIZER_FILE,
)
from edge_os.models.record import check_folder
from edge_os.runtime.onnx import create_session

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float32]

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class KvCache:
    """Keys and values of every token fed so far ([layers, 1, kv_heads, tokens, head_dim])."""

    keys: FloatArray
    values: FloatArray

    @property
    def length(self) -> int:
        """Number of tokens cached."""
        return int(self.keys.shape[3])


def check_model_dir(model_dir: Path, model_file: str = INT8_FILE, *, verify: bool = True) -> None:
    """Raise ModelError when a file is missing or (with ``verify``) differs from build.json."""
    check_folder(
        model_dir,
        (model_file, TOKENIZER_FILE, CONFIG_FILE),
        verify=verify,
        what="intent LLM",
        hint=f"build it with `{BUILD_COMMAND.format(out=model_dir)}`",
    )


class DecoderModel:
    """The ONNX causal LM with an explicit KV cache, plus its tokenizer."""

    def __init__(self, model_dir: Path, *, model_file: str = INT8_FILE, threads: int = 2):
        try:
            import numpy as np
            import onnxruntime  # noqa: F401  (checked here so the error names this extra)
            from tokenizers import Tokenizer
        except ImportError as err:
            raise MissingDependencyError(err.name or "tokenizers", "intent") from None
        self._np = np
        config: dict[str, Any] = json.loads((model_dir / CONFIG_FILE).read_text("utf-8"))
        self.eos_id = int(config["eos_token_id"])
        self.tokenizer_path = model_dir / TOKENIZER_FILE
        self.tokenizer = Tokenizer.from_file(str(self.tokenizer_path))
        self._empty_shape = (config["layers"], 1, config["kv_heads"], 0, config["head_dim"])
        self.session = create_session(
            model_dir / model_file,
            threads=threads,
            provider="cpu",
            name=f"intent LLM {model_file}",
            extra="intent",
        )

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text`` (special tokens such as ``<|im_end|>`` recognised)."""
        return list(self.tokenizer.encode(text, add_special_tokens=False).ids)

    def empty_cache(self) -> KvCache:
        """A cache holding no tokens."""
        empty = self._np.zeros(self._empty_shape, dtype=self._np.float32)
        return KvCache(empty, empty)

    def forward(self, token_ids: list[int], cache: KvCache) -> tuple[FloatArray, KvCache]:
        """Feed ``token_ids`` after ``cache``: last position's logits and the grown cache."""
        ids = self._np.asarray([token_ids], dtype=self._np.int64)
        logits, keys, values = self.session.run(
            None, {"input_ids": ids, "past_keys": cache.keys, "past_values": cache.values}
        )
        return logits[0], KvCache(keys, values)
