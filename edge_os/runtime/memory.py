"""Giving the C heap's free pages back to the system."""

from __future__ import annotations

import functools
from collections.abc import Callable


def release_heap() -> None:
    """Give the C heap's free pages back to the system (glibc ``malloc_trim``; elsewhere,
    nothing to do). About 1 ms.

    Called once the models are loaded (CTranslate2's float16 -> int8 conversion and ONNX
    graph parsing leave tens of MB freed but resident) and after each command: decoding and
    synthesis free their working memory in several threads' heaps, which keep it. Without
    it the whole loop's peak RSS was 410-417 MB, with it 358-371 MB; the price is about
    10 ms more from end of speech to the device command, as the next transcription touches
    fresh pages (bench/RESULTS.md)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, looked up once (``find_library`` runs ``ldconfig``)."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS)
        return None
    return trim
