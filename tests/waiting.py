"""The test suite's polling waits: until a condition holds, or until a value settles."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], bool], timeout_seconds: float = 20.0, what: str = "the condition"
) -> None:
    """Poll ``predicate`` every 0.01 s until true; fail naming ``what`` after the timeout."""
    deadline = time.monotonic() + timeout_seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_seconds} s waiting for {what}")
        time.sleep(0.01)


def settle(read: Callable[[], T], expected: object, timeout_seconds: float) -> T:
    """Poll ``read()`` every 0.1 s until it returns ``expected`` or time runs out, and hand
    back the last value read, for the assertion to show (Home Assistant over HTTP)."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        value = read()
        if value == expected or time.monotonic() > deadline:
            return value
        time.sleep(0.1)
