"""The one resampler: streaming, mono float audio, any rate to any rate.

Used at both edges: the sources convert to :data:`~edge_os.audio.format.INTERNAL_FORMAT`
(:class:`~edge_os.audio.convert.Converter`) and the sinks convert a voice to a card's rate.
Going down, a windowed-sinc low-pass runs first so nothing above the new Nyquist folds
back; then linear interpolation picks the output samples: plenty for speech.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from edge_os.errors import MissingDependencyError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

TAPS = 63
"""Length of the low-pass kernel used when the rate goes down."""
CUTOFF = 0.45
"""Low-pass corner as a fraction of the output rate (0.5 would be its Nyquist)."""


class Resampler:
    """Streaming conversion of mono float samples from ``in_rate`` to ``out_rate``.

    State is carried between calls, so a stream converted block by block matches the
    same stream converted at once. Going down, the filter holds back half a kernel
    (``TAPS // 2`` input samples) with no delay: :meth:`flush` returns it at the end.
    Interpolation holds back a sample or so, which belongs to the next block.
    """

    def __init__(self, in_rate: int, out_rate: int) -> None:
        try:
            import numpy as np
        except ImportError:
            raise MissingDependencyError("numpy", "audio") from None

        self.in_rate, self.out_rate = in_rate, out_rate
        self._step = in_rate / out_rate
        self._kernel: npt.NDArray[np.float32] | None = None
        if in_rate > out_rate:
            cutoff = CUTOFF * out_rate / in_rate  # cycles per input sample
            n = np.arange(TAPS) - (TAPS - 1) / 2
            kernel = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(TAPS)
            self._kernel = (kernel / kernel.sum()).astype(np.float32)
        # half a kernel of zeros in front centres the filter: no delay, the last half-kernel
        # of input waits for the next block (or :meth:`flush`)
        self._history = np.zeros(0 if self._kernel is None else TAPS // 2, dtype=np.float32)
        self._tail = np.zeros(0, dtype=np.float32)
        self._position = 0.0
        """Fractional input index (into tail + block) of the next output sample."""

    def __call__(self, mono: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """The next output samples for ``mono`` (float32, any scale)."""
        import numpy as np

        if self._kernel is not None:
            padded = np.concatenate((self._history, mono))
            self._history = padded[len(padded) - (TAPS - 1) :]
            mono = np.convolve(padded, self._kernel, mode="valid").astype(np.float32)
        signal = np.concatenate((self._tail, mono))
        last = len(signal) - 1
        if last < 1:
            self._tail = signal
            return np.zeros(0, dtype=np.float32)
        count = max(0, math.floor((last - self._position) / self._step) + 1)
        points = self._position + self._step * np.arange(count)
        out: npt.NDArray[np.float32] = np.interp(points, np.arange(len(signal)), signal).astype(
            np.float32
        )
        self._position += self._step * count
        keep = min(math.floor(self._position), last)
        self._tail = signal[keep:]
        self._position -= keep
        return out

    def flush(self) -> npt.NDArray[np.float32]:
        """Output still held back by the low-pass (call once at the end of a stream)."""
        import numpy as np

        if self._kernel is None:
            return np.zeros(0, dtype=np.float32)
        return self(np.zeros(TAPS // 2, dtype=np.float32))
