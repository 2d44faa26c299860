"""The command worker: one thread runs commands in order; a stuck one is abandoned.

Commands (STT, intent, action, answer) run one at a time, in the order they came. If one
runs longer than the timeout (a hung model, a wedged sound card), :meth:`check` reports it
and starts a fresh thread on the same queue, so the commands waiting behind it are still
carried out and nothing queued is lost. The abandoned thread is a daemon: it cannot keep
the process from exiting, and when it returns it takes no further work.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

_LOGGER = logging.getLogger(__name__)

Job = tuple[Callable[..., Any], tuple[Any, ...]]


class CommandWorker:
    """A FIFO of jobs run by one thread at a time, with a per-job timeout."""

    def __init__(self, timeout_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout_seconds = timeout_seconds
        self._clock = clock
        self._jobs: queue.Queue[Job | None] = queue.Queue()
        self._lock = threading.Lock()
        self._generation = 0
        self._busy: tuple[int, float] | None = None
        """(generation, start time) of the job running now."""
        self._thread: threading.Thread | None = None
        self.abandoned = 0
        """Jobs given up on for running too long."""
        self._start()

    def submit(self, function: Callable[..., Any], *args: Any) -> None:
        """Queue ``function(*args)`` behind the jobs already waiting."""
        self._jobs.put((function, args))

    def check(self) -> bool:
        """Abandon the running job if it is over the timeout; True if one was abandoned."""
        with self._lock:
            if self._busy is None or self._clock() - self._busy[1] < self.timeout_seconds:
                return False
            self._busy = None
            self.abandoned += 1
        _LOGGER.error("a command ran over %.0f s; continuing without it", self.timeout_seconds)
        self._start()
        return True

    def close(self, timeout_seconds: float) -> None:
        """Finish the queued jobs (up to ``timeout_seconds``), then stop the thread."""
        self._jobs.put(None)
        thread = self._thread
        if thread is not None:
            thread.join(timeout_seconds)

    def _start(self) -> None:
        with self._lock:
            self._generation += 1
            generation = self._generation
        self._thread = threading.Thread(
            target=self._run, args=(generation,), name=f"edge-os-command-{generation}", daemon=True
        )
        self._thread.start()

    def _run(self, generation: int) -> None:
        while True:
            with self._lock:
                if generation != self._generation:
                    return  # abandoned while its job ran: the live thread owns the queue
            job = self._jobs.get()
            if job is None:
                return
            with self._lock:
                self._busy = (generation, self._clock())
            function, args = job
            try:
                function(*args)
            except Exception:  # a job must never end the worker
                _LOGGER.exception("command job failed")
            finally:
                with self._lock:
                    if self._busy is not None and self._busy[0] == generation:
                        self._busy = None
