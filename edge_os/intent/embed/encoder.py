"""The sentence encoder at run time: text in, unit-length 384-d vectors out.

Only onnxruntime, numpy and tokenizers are needed (the ``intent`` extra), imported inside
:meth:`SentenceEncoder.load`. Each sentence runs on its own: INT8 activations are quantized
with one range per run, so a sentence's vector never depends on what it was batched with,
and without padding a batch is no faster here (~1.3 ms a sentence on one x86 core).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edge_os.errors import MissingDependencyError
from edge_os.intent.embed.graph import OUTPUT
from edge_os.models.record import BuildRecord, check_folder
from edge_os.runtime.onnx import create_session

INT8_FILE = "model.int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
MAX_TOKENS = 128
"""Truncation length (the checkpoint's tokenizer.json says 128; spoken commands are ~10)."""
BUILD_COMMAND = "pip install 'edge-os[build]' && python -m edge_os.intent.embed.build --out {out}"
"""How to build the folder this module reads (the build imports these names from here)."""

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float32]

_LOGGER = logging.getLogger(__name__)


def open_tokenizer(path: Path) -> Any:
    """The model's WordPiece tokenizer (lower-cases, adds [CLS]/[SEP]), cut at MAX_TOKENS."""
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise MissingDependencyError("tokenizers", "intent") from None
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()  # the checkpoint's file pads every sentence to 128
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    return tokenizer


def check_model_dir(
    model_dir: Path, model_file: str = INT8_FILE, *, verify: bool = True
) -> BuildRecord:
    """The folder's build record; ModelError when a file is missing or differs from it."""
    return check_folder(
        model_dir,
        (model_file, TOKENIZER_FILE),
        verify=verify,
        what="sentence encoder",
        hint=f"build it with `{BUILD_COMMAND.format(out=model_dir)}`",
    )


class SentenceEncoder:
    """all-MiniLM-L6-v2 on onnxruntime: mean-pooled, L2-normalised sentence embeddings."""

    def __init__(
        self, session: Any, tokenizer: Any, dimensions: int, fingerprint: str = ""
    ) -> None:
        self.session = session
        """The onnxruntime InferenceSession of the graph."""
        self.tokenizer = tokenizer
        """The ``tokenizers.Tokenizer`` (no padding, truncation at MAX_TOKENS)."""
        self.dimensions = dimensions
        """Width of a vector (384)."""
        self.fingerprint = fingerprint
        """sha256 of the model file (what was trained on its vectors is cached under it)."""

    @classmethod
    def load(
        cls,
        model_dir: Path,
        *,
        threads: int = 1,
        model_file: str = INT8_FILE,
        verify: bool = True,
    ) -> SentenceEncoder:
        """Open a folder written by :func:`edge_os.intent.embed.build.build`.

        ``verify`` checks the sha256 of the files against build.json (~20 ms).
        Raises ModelError saying how to build it, or MissingDependencyError (``intent``).
        """
        try:
            import numpy  # noqa: F401  (checked here so the error names this extra)
        except ImportError:
            raise MissingDependencyError("numpy", "intent") from None
        record = check_model_dir(model_dir, model_file, verify=verify)
        tokenizer = open_tokenizer(model_dir / TOKENIZER_FILE)
        session = create_session(
            model_dir / model_file,
            threads=threads,
            provider="cpu",
            name=f"sentence encoder {model_file}",
            extra="intent",
        )
        fingerprint = record.files.get(model_file, "")
        return cls(session, tokenizer, int(record.extra["dimensions"]), fingerprint)

    def encode(self, texts: Sequence[str]) -> FloatArray:
        """One unit-length float32 row per text, shape (len(texts), dimensions)."""
        import numpy as np

        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not one string")
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, encoding in enumerate(self.tokenizer.encode_batch(list(texts))):
            ids = np.asarray([encoding.ids], dtype=np.int64)
            mask = np.ones_like(ids)
            vectors[row] = self.session.run([OUTPUT], {"input_ids": ids, "attention_mask": mask})[
                0
            ][0]
        return vectors
