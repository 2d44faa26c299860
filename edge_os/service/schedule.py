"""Timers and delayed commands firing from the loop.

Every ``schedule_seconds`` the loop calls :meth:`ScheduleRunner.check`: the due jobs are
taken from the durable timer table and each is queued on the command worker like a
spoken command (a delayed command runs through
:meth:`~edge_os.pipeline.command.CommandPipeline.handle_timer`, so the same dispatcher and
confirmation rules apply; a plain timer says "The pizza timer is done."). Jobs too late to
run (edge-os was down) are dropped with an event. Listeners (the MQTT adapter) are told
the schedule whenever it changed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from edge_os.errors import EdgeOSError
from edge_os.pipeline.command import CommandPipeline, timer_finished
from edge_os.service.core import ServiceCore

_LOGGER = logging.getLogger(__name__)

Listener = Callable[[list[dict[str, Any]]], bool]
"""Told the jobs (as ``edge_os/<site>/schedule`` shows them) when they changed; False when
it could not take them (the broker is away), to be told again at the next check."""


class ScheduleRunner:
    """Fires due jobs and reports the schedule."""

    def __init__(self, core: ServiceCore, command: CommandPipeline) -> None:
        self._core = core
        self._timers = command.timers
        self._handle_timer = command.handle_timer
        self._told: str | None = None
        self._listeners: list[Listener] = []

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` with the jobs whenever they change."""
        self._listeners.append(listener)

    def cancel(self, job_id: int) -> None:
        """Cancel a timer or delayed command by id (MQTT ``schedule/cancel``)."""
        try:
            cancelled = self._timers.cancel_id(job_id)
        except EdgeOSError as err:
            _LOGGER.warning("cannot cancel job %d: %s", job_id, err)
            return
        if cancelled:
            _LOGGER.info("cancelled job %d", job_id)
        else:
            _LOGGER.warning("no job %d to cancel", job_id)
        self.tell()

    def tell(self) -> None:
        """Tell the listeners the schedule now, changed or not."""
        self._told = None
        self.check()

    def check(self) -> None:
        """Fire the due timers and delayed commands; tell the schedule if it changed."""
        if self._core.closing:
            return
        try:
            due = self._timers.take_due()
            jobs = self._timers.snapshot()
        except EdgeOSError as err:  # a locked or broken file must not stop the loop
            _LOGGER.warning("timer table: %s", err)
            return
        for timer, late in due.expired:
            self._core.emit(timer_finished(timer, late, expired=True))
        for timer, late in due.run:
            self._core.submit(partial(self._handle_timer, late_seconds=late), timer)
        text = json.dumps(jobs, sort_keys=True)
        if self._listeners and text != self._told:
            told = [listener(jobs) for listener in self._listeners]
            self._told = text if all(told) else None
