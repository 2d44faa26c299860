"""A fallback recognizer that loads on first need and unloads when idle.

The LLM fallback costs about 300 MB of the service's memory. Loaded lazily it is only
resident while commands the grammar cannot match keep coming: the service idles at about
440 MB and pays the model's load time (about a second) on the first miss after a quiet spell.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from edge_os.stages.protocols import IntentRecognizer, IntentResult

_LOGGER = logging.getLogger(__name__)

Loader = Callable[[], IntentRecognizer | None]


class LazyRecognizer:
    """Wraps a loader; ``recognize`` loads, :meth:`unload_if_idle` frees (thread-safe)."""

    def __init__(
        self,
        loader: Loader,
        *,
        idle_unload_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loader = loader
        self.idle_unload_seconds = idle_unload_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._model: IntentRecognizer | None = None
        self._missing = False
        self._last_used = clock()
        self.loads = 0
        """How many times the model was loaded."""

    @property
    def loaded(self) -> bool:
        """Whether the model is resident now."""
        return self._model is not None

    def recognize(self, text: str, *, area: str | None = None) -> IntentResult:
        """Recognise with the model, loading it first if needed; not understood if missing."""
        with self._lock:
            self._last_used = self._clock()
            if self._model is None and not self._missing:
                started = time.perf_counter()
                self._model = self._loader()
                self._missing = self._model is None
                if self._model is not None:
                    self.loads += 1
                    _LOGGER.info("LLM fallback loaded in %.0f ms", _ms(started))
            model = self._model
        if model is None:
            return IntentResult(text=text, intent=None, path="llm")
        return model.recognize(text, area=area)

    def unload_if_idle(self) -> bool:
        """Drop the model when unused for ``idle_unload_seconds`` (0: never); True if dropped."""
        with self._lock:
            idle = self._clock() - self._last_used
            if self._model is None or self.idle_unload_seconds <= 0:
                return False
            if idle < self.idle_unload_seconds:
                return False
            self._model = None
        _LOGGER.info("LLM fallback unloaded after %.0f s idle", idle)
        return True


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
