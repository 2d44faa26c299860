"""The command worker: order kept, a stuck job abandoned, nothing queued lost."""

from __future__ import annotations

import threading

from edge_os.service.worker import CommandWorker
from tests.waiting import wait_until


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_jobs_run_in_order() -> None:
    done: list[int] = []
    worker = CommandWorker(timeout_seconds=30)
    for number in range(20):
        worker.submit(done.append, number)
    worker.close(5)
    assert done == list(range(20))


def test_a_stuck_job_is_abandoned_and_the_queue_goes_on() -> None:
    clock = Clock()
    release = threading.Event()
    started = threading.Event()
    done: list[str] = []

    def stuck() -> None:
        started.set()
        release.wait(10)
        done.append("stuck finally returned")

    worker = CommandWorker(timeout_seconds=5, clock=clock)
    worker.submit(stuck)
    worker.submit(done.append, "second")
    worker.submit(done.append, "third")
    assert started.wait(5)
    assert worker.check() is False  # not over the timeout yet
    clock.now = 6
    assert worker.check() is True
    wait_until(lambda: done == ["second", "third"], 5, "the queued commands")
    assert worker.abandoned == 1
    release.set()  # the abandoned job returns; it takes no more work
    wait_until(lambda: len(done) == 3, 5, "the abandoned job to return")
    worker.submit(done.append, "fourth")
    worker.close(5)
    assert done == ["second", "third", "stuck finally returned", "fourth"]


def test_a_failing_job_does_not_stop_the_worker() -> None:
    done: list[str] = []
    worker = CommandWorker(timeout_seconds=30)
    worker.submit(lambda: 1 / 0)
    worker.submit(done.append, "after")
    worker.close(5)
    assert done == ["after"]
