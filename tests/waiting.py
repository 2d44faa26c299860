"""The test suite's one polling wait: poll a condition until it holds or time runs out."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(
    predicate: Callable[[], bool], timeout_seconds: float = 20.0, what: str = "the condition"
) -> None:
    """Poll ``predicate`` every 0.01 s until true; fail naming ``what`` after the timeout."""
    deadline = time.monotonic() + timeout_seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_seconds} s waiting for {what}")
        time.sleep(0.01)
