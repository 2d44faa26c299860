"""The service's ways in besides the microphone, each a thin adapter naming its source.

- :class:`MqttWay`: the MQTT control API and Hermes (source ``mqtt``), and everything the
  service publishes there: events, state, schedule, metrics, the wake word, and Home
  Assistant discovery (:class:`~edge_os.service.homeassistant.HomeAssistantLink`);
- :class:`LocalWay`: ``edge-os say`` on this machine, over ``<state_dir>/control.sock``
  (source ``text``; :func:`~edge_os.pipeline.text.run_text`, as ``say`` runs it with no
  service).

Both queue their commands on the loop's one command worker, so they take turns with what
is spoken and share its confirmation and follow-up context
(:class:`~edge_os.pipeline.command.CommandPipeline`).
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

from edge_os.drivers.mqtt.driver import DeliveryReport
from edge_os.drivers.mqtt.queue import CommandState
from edge_os.service.control import ControlHandlers, MqttControl
from edge_os.service.core import ServiceCore
from edge_os.service.homeassistant import HomeAssistantLink
from edge_os.service.inbox import ControlInbox, Ticket
from edge_os.service.local import LocalControl, LocalRequest, socket_path
from edge_os.service.schedule import ScheduleRunner
from edge_os.service.wakeword import WakeWordSwitch
from edge_os.stages.events import ErrorEvent, Event

_LOGGER = logging.getLogger(__name__)


class MqttWay:
    """The service on its broker: commands and settings in, events and state out."""

    def __init__(self, core: ServiceCore, schedule: ScheduleRunner, wake: WakeWordSwitch) -> None:
        mqtt = core.assistant.mqtt
        if mqtt is None:
            raise ValueError("the MQTT way in needs the MQTT driver")
        from edge_os.drivers.discovery.publish import own_topics

        self._core = core
        config = core.assistant.config
        self.control = MqttControl(
            mqtt.connection,
            own_topics(config),
            config.site.id,
            ControlHandlers(
                command=core.threadsafe(self._command),
                say=core.threadsafe(self._say),
                mute=core.threadsafe(core.set_muted),
                volume=core.threadsafe(core.set_volume),
                schedule_list=core.threadsafe(schedule.tell),
                schedule_cancel=core.threadsafe(schedule.cancel),
                wake_word=core.threadsafe(wake.choose) if wake.offered else None,
            ),
            inbox=ControlInbox.open(config),
        )
        self.homeassistant = HomeAssistantLink(core.assistant)
        mqtt.add_listener(core.threadsafe(self._delivery_ended))
        schedule.add_listener(self.publish_schedule)
        wake.add_listener(self.publish_wake_word)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Subscribe, announce to Home Assistant."""
        self.control.start()
        self.homeassistant.start(loop)

    def stop(self) -> None:
        """Retire what was announced; stop taking commands."""
        self.homeassistant.stop()
        self.control.stop()

    # --- in (loop thread) ----------------------------------------------------------------

    def _command(self, text: str, ticket: Ticket | None = None) -> None:
        handle = partial(self._core.assistant.command.handle_text, source="mqtt")
        self._core.submit(handle if ticket is None else ticket.wrap(handle), text)
        self.published_command(text)

    def _say(self, text: str, request_id: str | None) -> None:
        voice, player = self._core.assistant.voice, self._core.assistant.player

        def speak() -> None:
            if voice is not None and player is not None:
                player.play(voice.synthesize(text))
            self.control.say_finished(request_id)

        self._core.play(speak)

    def _delivery_ended(self, report: DeliveryReport) -> None:
        if report.state is CommandState.STALE:
            command = report.command
            message = f"a command for {command.entity_id} on {command.topic} was {report.reason}"
            self._core.emit(ErrorEvent(stage="action", code="command-expired", message=message))

    # --- out (loop thread; MQTT trouble never stops the loop) ----------------------------

    def published_command(self, text: str) -> None:
        """Show a command about to be handled (``last_command``), whichever way it came."""
        try:
            self.control.publish_last_command(text)
        except Exception:
            _LOGGER.exception("cannot publish the last command")

    def publish_event(self, event: Event) -> None:
        """One event on the own topics and Hermes."""
        try:
            self.control.publish_event(event)
        except Exception:
            _LOGGER.exception("cannot publish %s", event.type)

    def publish_state(self, state: str, muted: bool, volume: int) -> None:
        """The retained status (and Home Assistant's sensors read it)."""
        try:
            self.control.publish_state(state, muted=muted, volume=volume)
        except Exception:
            _LOGGER.exception("cannot publish the status")

    def publish_schedule(self, jobs: list[dict[str, Any]]) -> bool:
        """The retained schedule; False when it could not be sent."""
        try:
            self.control.publish_schedule(jobs)
        except Exception:
            _LOGGER.exception("cannot publish the schedule")
            return False
        return True

    def publish_wake_word(self, name: str) -> None:
        """The wake word listened for (Home Assistant's select shows it)."""
        try:
            self.control.publish_wake_word(name)
        except Exception:
            _LOGGER.exception("cannot publish the wake word")

    def publish_metrics(self, metrics: dict[str, Any]) -> None:
        """The metrics snapshot."""
        try:
            self.control.publish_metrics(metrics)
        except Exception:
            _LOGGER.exception("cannot publish the metrics")


class LocalWay:
    """``edge-os say`` handing its text to the running service."""

    def __init__(self, core: ServiceCore, mqtt: MqttWay | None) -> None:
        self._core = core
        self._mqtt = mqtt
        self.socket = LocalControl(socket_path(core.assistant.config.state_dir), self._handle)
        """``<state_dir>/control.sock``."""

    async def start(self) -> None:
        """Listen on the socket (a socket that cannot be made is logged; the loop runs on)."""
        await self.socket.start()

    async def stop(self) -> None:
        """Stop listening and remove the socket."""
        await self.socket.stop()

    async def _handle(self, request: LocalRequest) -> dict[str, Any]:
        """A command typed on this machine, in turn with the others."""
        from edge_os.pipeline.text import run_text

        loop = asyncio.get_running_loop()
        answer: asyncio.Future[dict[str, Any]] = loop.create_future()
        core = self._core
        command = core.assistant.command
        emit = core.threadsafe(core.emit)

        def settle(outcome: dict[str, Any] | BaseException) -> None:
            if not answer.done():  # else the caller gave up waiting
                if isinstance(outcome, BaseException):
                    answer.set_exception(outcome)
                else:
                    answer.set_result(outcome)

        def job() -> None:
            outcome: dict[str, Any] | BaseException
            try:
                outcome = run_text(command, request.text, emit, area=request.area, yes=request.yes)
            except Exception as err:  # handed to the caller, who reports it
                outcome = err
            finally:
                core.threadsafe(core.command_done)()
            loop.call_soon_threadsafe(settle, outcome)

        core.submit_job(job)
        if self._mqtt is not None:
            self._mqtt.published_command(request.text)
        return await answer
