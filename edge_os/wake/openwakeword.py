"""openWakeWord on onnxruntime: melspectrogram -> embedding -> classifier, streaming.

The same computation as ``openwakeword.Model.predict`` (0.5.1, ONNX backend), without its
TFLite path (broken with numpy 2) and with explicit thread counts. Frame contract: audio
is consumed in 80 ms frames (1280 samples at 16 kHz); each frame adds 8 mel frames and one
embedding, then every classifier scores its last N embeddings. A detection's ``offset`` is
the end of the frame that fired, so latency is at most one frame plus the patience.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from edge_os.audio.format import INTERNAL_FORMAT, AudioChunk
from edge_os.errors import ErrorCode, WakeWordError
from edge_os.runtime.onnx import ProviderChoice, create_session
from edge_os.stages.protocols import WakeDetection
from edge_os.wake.debounce import WakeDebouncer
from edge_os.wake.models import WakeModelFiles

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import onnxruntime

_LOGGER = logging.getLogger(__name__)

FRAME_SAMPLES = 1280
"""80 ms at 16 kHz: the unit openWakeWord scores."""
_MEL_CONTEXT_SAMPLES = 480
"""Extra samples before each frame so the mel model yields exactly 8 frames per 80 ms."""
_MEL_WINDOW = 76
"""Mel frames per embedding."""
_WARMUP_FRAMES = 5
"""openWakeWord reports 0 for the first frames, while its buffers fill with real audio."""
_NOISE_SEED = 0


class OpenWakeWord:
    """A :class:`~edge_os.stages.protocols.WakeWordDetector` over openWakeWord ONNX models."""

    def __init__(
        self,
        files: WakeModelFiles,
        *,
        threshold: float = 0.5,
        patience_frames: int = 1,
        refractory_seconds: float = 2.0,
        threads: int = 1,
        provider: ProviderChoice = "cpu",
    ) -> None:

        self._mel = create_session(
            files.melspectrogram, threads=threads, provider=provider, name="wake melspectrogram"
        )
        self._embed = create_session(
            files.embedding, threads=threads, provider=provider, name="wake embedding"
        )
        self._classifiers: dict[str, onnxruntime.InferenceSession] = {}
        self._inputs: dict[str, tuple[str, int]] = {}
        for name, path in files.classifiers.items():
            session = create_session(path, threads=threads, provider=provider, name=f"wake {name}")
            shape = session.get_inputs()[0].shape
            if len(shape) != 3 or shape[2] != 96 or not isinstance(shape[1], int):
                raise WakeWordError(
                    ErrorCode.WAKE_FAILED,
                    f"{path}: not an openWakeWord classifier (input shape {shape}, "
                    "expected [1, N, 96])",
                )
            self._classifiers[name] = session
            self._inputs[name] = (session.get_inputs()[0].name, int(shape[1]))
        self._debouncers = {
            name: WakeDebouncer(threshold, patience_frames, refractory_seconds)
            for name in self._classifiers
        }
        self._history = max(n for _, n in self._inputs.values())
        self.last_scores: dict[str, float] = {}
        """Scores of the most recent frame, per wake word (for tools and evaluation)."""
        self._initial_features = self._noise_features()
        self.reset()

    @property
    def names(self) -> list[str]:
        """Wake words this detector listens for."""
        return list(self._classifiers)

    def reset(self) -> None:
        """Forget buffered audio, features and runs; the next frames warm up again."""
        import numpy as np

        self._pending = np.zeros(0, dtype=np.float32)
        self._context = np.zeros(_MEL_CONTEXT_SAMPLES, dtype=np.float32)
        self._mels = np.ones((_MEL_WINDOW, 32), dtype=np.float32)
        self._features = self._initial_features.copy()
        self._frames = 0
        self._pending_start = 0
        for debouncer in self._debouncers.values():
            debouncer.reset()

    def process(self, chunk: AudioChunk) -> list[WakeDetection]:
        """Feed the next chunk (any length, 16 kHz mono); detections that fired in it."""
        chunk.require(INTERNAL_FORMAT)
        import numpy as np

        if not self._pending.size:
            self._pending_start = chunk.offset
        self._pending = np.concatenate((self._pending, chunk.samples().astype(np.float32)))
        detections: list[WakeDetection] = []
        while self._pending.size >= FRAME_SAMPLES:
            frame, self._pending = self._pending[:FRAME_SAMPLES], self._pending[FRAME_SAMPLES:]
            self._pending_start += FRAME_SAMPLES
            detections.extend(self._score_frame(frame, self._pending_start))
        return detections

    def _score_frame(self, frame: npt.NDArray[np.float32], end: int) -> list[WakeDetection]:
        self._advance(frame)
        detections = []
        for name, score in self.last_scores.items():
            peak = self._debouncers[name].update(score, end)
            if peak is not None:
                _LOGGER.info("wake word %s at sample %d (score %.3f)", name, end, peak)
                detections.append(WakeDetection(model=name, score=peak, offset=end))
        return detections

    def _advance(self, frame: npt.NDArray[np.float32]) -> None:
        """One 80 ms frame through mel -> embedding -> classifiers; sets ``last_scores``."""
        import numpy as np

        audio = np.concatenate((self._context, frame))
        self._context = audio[-_MEL_CONTEXT_SAMPLES:]
        try:
            mel = self._mel.run(None, {"input": audio[None, :]})[0]
            mel = np.squeeze(mel).reshape(-1, 32) / 10.0 + 2.0
            self._mels = np.vstack((self._mels, mel))[-_MEL_WINDOW:]
            window = self._mels[None, :, :, None].astype(np.float32)
            embedding = self._embed.run(None, {"input_1": window})[0].reshape(1, 96)
            self._features = np.vstack((self._features, embedding))[-self._history :]
            self._frames += 1
            for name, session in self._classifiers.items():
                input_name, frames = self._inputs[name]
                features = self._features[None, -frames:, :].astype(np.float32)
                score = float(session.run(None, {input_name: features})[0].reshape(-1)[0])
                self.last_scores[name] = score if self._frames > _WARMUP_FRAMES else 0.0
        except Exception as err:  # onnxruntime raises untyped errors on bad inputs/models
            raise WakeWordError(
                ErrorCode.WAKE_FAILED, f"wake-word inference failed: {err}"
            ) from err

    def _noise_features(self) -> npt.NDArray[np.float32]:
        """Embeddings of 4 s of quiet noise, as openWakeWord starts its feature buffer."""
        import numpy as np

        rng = np.random.default_rng(_NOISE_SEED)
        noise = rng.integers(-1000, 1000, INTERNAL_FORMAT.rate * 4).astype(np.float32)
        mel = np.squeeze(self._mel.run(None, {"input": noise[None, :]})[0]) / 10.0 + 2.0
        windows = [mel[i : i + _MEL_WINDOW] for i in range(0, mel.shape[0] - _MEL_WINDOW + 1, 8)]
        batch = np.asarray(windows, dtype=np.float32)[:, :, :, None]
        features = self._embed.run(None, {"input_1": batch})[0].reshape(-1, 96)
        initial: npt.NDArray[np.float32] = np.asarray(features[-self._history :], dtype=np.float32)
        return initial
