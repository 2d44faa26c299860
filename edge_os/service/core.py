"""What the service's adapters may ask of the loop (:class:`~edge_os.service.loop.VoiceService`).

The loop owns the state, the command worker and the event stream; the ways in (the MQTT
control API and Hermes, the local ``say`` socket, the schedule) and the status adapters
(MQTT publishing, the status file) hold this protocol, not the loop itself, so each can be
read, and tested, on its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from edge_os.pipeline.assistant import Assistant
from edge_os.stages.events import Event

CommandHandle = Callable[..., Any]
"""``handle(payload, emit) -> CommandReport``: one way in's call into the command path."""


class ServiceCore(Protocol):
    """The loop, as its adapters see it."""

    assistant: Assistant
    state: str
    muted: bool
    volume: int
    closing: bool
    """True once the loop is stopping: adapters queue nothing new."""

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The running event loop (None before :meth:`run` and after it ends)."""
        ...

    def threadsafe(self, function: Callable[..., None]) -> Callable[..., None]:
        """``function`` called in the loop thread, whatever thread calls the wrapper."""
        ...

    def emit(self, event: Event) -> None:
        """Count, publish and act on one event (loop thread)."""
        ...

    def submit(self, handle: CommandHandle, payload: Any) -> None:
        """Queue one command on the worker, in turn with the spoken ones (loop thread)."""
        ...

    def submit_job(self, job: Callable[[], None]) -> None:
        """Queue a job that handles a command its own way; it calls :meth:`command_done`."""
        ...

    def command_done(self) -> None:
        """A command queued by :meth:`submit_job` has finished (loop thread)."""
        ...

    def play(self, job: Callable[[], object]) -> None:
        """Queue ``job`` (speech, a sound) on the worker, between commands."""
        ...

    def in_frontend(self, job: Callable[[], None]) -> None:
        """Run ``job`` in the front end's thread, between two audio blocks."""
        ...

    def set_muted(self, muted: bool) -> None:
        """Mute the microphone and the speaker (loop thread)."""
        ...

    def set_volume(self, percent: int) -> None:
        """Set the playback volume, 0-100 (loop thread)."""
        ...
