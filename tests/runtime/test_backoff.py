"""The one retry back-off (broker reconnects, queued retries, audio devices) keeps its schedule."""

from __future__ import annotations

import pytest

from edge_os.runtime.backoff import Backoff


def test_backoff_doubles_caps_and_resets_without_sleeping() -> None:
    backoff = Backoff(initial_seconds=0.5, max_seconds=4.0)
    now = 100.0
    assert backoff.ready(now)
    assert [backoff.failed(now) - now for _ in range(6)] == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert not backoff.ready(now + 3.9)
    assert backoff.wait_seconds(now + 3.0) == pytest.approx(1.0)
    assert backoff.ready(now + 4.0)
    backoff.succeeded()
    assert backoff.ready(now) and backoff.failed(now) == now + 0.5


def test_next_delay_grows_and_resets_for_a_caller_that_waits_itself() -> None:
    backoff = Backoff(initial_seconds=0.5, max_seconds=3.0)
    assert [backoff.next_delay() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.succeeded()
    assert backoff.next_delay() == 0.5


def test_both_ways_of_failing_share_one_schedule() -> None:
    backoff = Backoff(initial_seconds=1.0, max_seconds=10.0)
    assert backoff.next_delay() == 1.0
    assert backoff.failed(50.0) == 52.0
    assert backoff.delay_seconds() == 4.0 and backoff.failures == 2
