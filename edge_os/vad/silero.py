"""Silero VAD v6 (the ONNX file shipped in faster-whisper) as a streaming speech scorer.

Frame contract: 512-sample windows (32 ms at 16 kHz), each given with the previous 64
samples as context and the LSTM state carried over, exactly as ``faster_whisper.vad``
feeds it. Audio is scaled to [-1, 1]. Whole windows available in a chunk are scored in
one call; leftovers wait for the next chunk.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from edge_os.audio.format import INTERNAL_FORMAT, AudioChunk
from edge_os.errors import ErrorCode, MissingDependencyError, ModelError, VadError
from edge_os.runtime.onnx import ProviderChoice, create_session

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

WINDOW_SAMPLES = 512
"""Samples per VAD decision (32 ms)."""
_CONTEXT_SAMPLES = 64


@dataclass(frozen=True)
class VadFrame:
    """Speech probability of one 32 ms window."""

    start: int
    """Stream sample index of the window's first sample."""
    end: int
    """Stream sample index one past its last sample."""
    probability: float
    """Speech probability, 0-1."""


def silero_path() -> Path:
    """``silero_vad_v6.onnx`` inside the installed faster-whisper package."""
    spec = importlib.util.find_spec("faster_whisper")
    if spec is None or spec.origin is None:
        raise MissingDependencyError("faster-whisper", "wake")
    path = Path(spec.origin).parent / "assets" / "silero_vad_v6.onnx"
    if not path.is_file():
        raise ModelError(ErrorCode.MODEL_MISSING, f"Silero VAD model {path} does not exist")
    return path


class SileroVad:
    """Streaming Silero VAD: feed 16 kHz chunks, get one :class:`VadFrame` per 32 ms."""

    def __init__(
        self, path: Path | None = None, *, threads: int = 1, provider: ProviderChoice = "cpu"
    ) -> None:

        self._session = create_session(
            path or silero_path(), threads=threads, provider=provider, name="silero vad"
        )
        self.reset()

    def reset(self) -> None:
        """Forget the LSTM state and buffered samples (a new stream starts)."""
        import numpy as np

        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT_SAMPLES, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self._pending_start = 0

    def process(self, chunk: AudioChunk) -> list[VadFrame]:
        """Score every whole 32 ms window now available."""
        chunk.require(INTERNAL_FORMAT)
        import numpy as np

        if not self._pending.size:
            self._pending_start = chunk.offset
        audio = chunk.samples().astype(np.float32) / 32768.0
        self._pending = np.concatenate((self._pending, audio))
        count = self._pending.size // WINDOW_SAMPLES
        if not count:
            return []
        windows = self._pending[: count * WINDOW_SAMPLES].reshape(count, WINDOW_SAMPLES)
        self._pending = self._pending[count * WINDOW_SAMPLES :]
        probabilities = self._run(windows)
        start = self._pending_start
        self._pending_start += count * WINDOW_SAMPLES
        return [
            VadFrame(start + i * WINDOW_SAMPLES, start + (i + 1) * WINDOW_SAMPLES, float(p))
            for i, p in enumerate(probabilities)
        ]

    def _run(self, windows: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        import numpy as np

        contexts = np.vstack((self._context[None, :], windows[:-1, -_CONTEXT_SAMPLES:]))
        self._context = windows[-1, -_CONTEXT_SAMPLES:].copy()
        batch = np.concatenate((contexts, windows), axis=1).astype(np.float32)
        try:
            out, self._h, self._c = self._session.run(
                None, {"input": batch, "h": self._h, "c": self._c}
            )
        except Exception as err:  # onnxruntime raises untyped errors
            raise VadError(ErrorCode.VAD_FAILED, f"VAD inference failed: {err}") from err
        probabilities: npt.NDArray[np.float32] = np.asarray(out, dtype=np.float32).reshape(-1)
        return probabilities
