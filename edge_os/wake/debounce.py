"""Turning per-frame wake-word scores into detections: patience and a refractory period.

A pure object: it is given each frame's score and stream position (samples at 16 kHz),
never reads a clock, so tests drive it with plain numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from edge_os.audio.format import SAMPLE_RATE


@dataclass
class WakeDebouncer:
    """Fires once ``patience_frames`` consecutive scores reach ``threshold``.

    After a detection, frames within ``refractory_seconds`` of it never fire (one wake word
    spoken once gives one detection, even though its scores stay high for several frames).
    """

    threshold: float
    """Score a frame must reach to count."""
    patience_frames: int = 1
    """Consecutive counting frames needed."""
    refractory_seconds: float = 2.0
    """Quiet time after a detection."""
    _run: int = 0
    _run_peak: float = 0.0
    _last_fire_offset: int | None = None

    def update(self, score: float, offset: int) -> float | None:
        """Feed the score of the frame ending at sample ``offset``; the peak score if it fires."""
        if self._refractory(offset):
            self._run, self._run_peak = 0, 0.0
            return None
        if score < self.threshold:
            self._run, self._run_peak = 0, 0.0
            return None
        self._run += 1
        self._run_peak = max(self._run_peak, score)
        if self._run < self.patience_frames:
            return None
        peak = self._run_peak
        self._run, self._run_peak = 0, 0.0
        self._last_fire_offset = offset
        return peak

    def reset(self) -> None:
        """Forget the current run and the last detection (a new stream starts)."""
        self._run, self._run_peak = 0, 0.0
        self._last_fire_offset = None

    def _refractory(self, offset: int) -> bool:
        if self._last_fire_offset is None:
            return False
        return offset - self._last_fire_offset < self.refractory_seconds * SAMPLE_RATE
