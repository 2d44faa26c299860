"""Giving the C heap's free pages back to the system."""

from __future__ import annotations

import ctypes
import functools
import os
from collections.abc import Callable

MMAP_THRESHOLD = 4 * 1024 * 1024
"""Blocks at least this large are mapped on their own and unmapped when freed."""
TRIM_THRESHOLD = 64 * 1024 * 1024
"""The heap's free top is given back on its own only past this (release_heap trims it)."""
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3


def release_heap() -> None:
    """Give the C heap's free pages back to the system (glibc ``malloc_trim``; elsewhere,
    nothing to do). About 1 ms.

    Called once the models are loaded (CTranslate2's float16 -> int8 conversion and ONNX
    graph parsing leave tens of MB freed but resident), before each answer is spoken (what
    transcription and reading freed would otherwise lie under the voice's peak) and after
    each command: decoding and synthesis free their working memory in several threads'
    heaps, which keep it. Without it the whole loop's peak RSS was 410-417 MB, with it
    358-371 MB; the price is about 10 ms more from end of speech to the device command, as
    the next transcription touches fresh pages (bench/RESULTS.md)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def tune_heap() -> bool:
    """Fix glibc's thresholds for the service's life, before its models load: blocks of
    4 MB or more (a voice's activations, an encoder's buffers) get their own mapping, given
    back the moment they are freed; the heap's top is left for :func:`release_heap`.

    glibc raises its mmap threshold (up to 32 MB) each time such a block is freed, so after
    the first answers every block came from the heap, where freed blocks of varying sizes
    cannot be reused whole: on 20 spoken commands with answers of 1-4 s, peak RSS was
    402-426 MB, with these thresholds 385-394 MB (bench/RESULTS.md). A fixed mmap threshold also
    stops glibc's own trim threshold from growing, and the heap was then trimmed on every
    free: 30-55 ms more to the device command. Hence the 64 MB trim threshold, with which
    the latency is unchanged. ``MALLOC_MMAP_THRESHOLD_`` or ``MALLOC_TRIM_THRESHOLD_`` in
    the environment win. False where it cannot be done (not glibc)."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ or "MALLOC_TRIM_THRESHOLD_" in os.environ:
        return False
    mallopt = _mallopt()
    if mallopt is None:
        return False
    return bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)) and bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    )


def _mallopt() -> Callable[[int, int], int] | None:
    """glibc's ``mallopt``, or None."""
    libc = _glibc()
    return None if libc is None else libc.mallopt


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None."""
    libc = _glibc()
    return None if libc is None else libc.malloc_trim


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    """The C library when it is glibc (it has ``malloc_trim`` and ``mallopt``), looked up
    once (``find_library`` runs ``ldconfig``); None elsewhere (musl, macOS)."""
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
