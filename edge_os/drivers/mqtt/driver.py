"""The MQTT device driver: commands through a durable queue, state from state topics.

Every command is written to the queue (SQLite, :mod:`edge_os.drivers.mqtt.queue`) before it is
sent; the :class:`~edge_os.drivers.mqtt.sender.QueueSender` thread delivers it (commands for one
entity in order, entities independent of each other; the details, and the constants named
below, are in :mod:`edge_os.drivers.mqtt.sender`).

What :meth:`MqttDriver.execute` reports (:class:`OutcomeStatus`), and what happens to the
command in the queue (:class:`CommandState`):

- ``done``: the broker answered with a success PUBACK. With MQTT 5 (the default) that
  means it handed the command to at least one subscription; with MQTT 3.1.1, which has no
  reason codes, only that the broker took charge of it, whether a device was subscribed
  or not. To narrow that gap, after a reconnect (the broker may have restarted and lost
  its devices' subscriptions) 3.1.1 commands wait ``RESUBSCRIBE_GRACE_SECONDS``; a device
  slower than that to subscribe again misses them.
- ``queued``: saved on disk and not yet confirmed, because the broker is away or slow,
  or because nobody is subscribed to the topic yet (MQTT 5 reason 0x10 "No matching
  subscribers": the broker got it but no device did). The sender keeps trying, with a
  back-off (``RETRY_INITIAL_SECONDS`` to ``RETRY_MAX_SECONDS``), across
  reconnects and restarts of edge-os, until it is confirmed or too old.
- ``failed``: the broker refused it (not authorized, ...), or it could not be queued; it
  is not sent again. Also what a waiting caller hears when its command went stale.
- stale-dropped (queue state ``stale``): a command older than
  ``mqtt.queue_max_age_seconds`` is never published. The age is checked right before
  every publish, first or again; a stale command is dropped from the queue, logged once,
  and reported to :meth:`MqttDriver.add_listener` listeners (the service turns it into an
  ``error`` event with code ``command-expired``). MQTT 5 publishes also carry a message
  expiry of the time left, so a broker does not keep one for an offline device past it.

Nothing is written into a silent connection (the broker must have answered within
``LIVENESS_SECONDS``, else a probe goes first); only a command already in the broker's
socket when it freezes can arrive late, and that is logged. A command whose answer never
came because the broker or edge-os died is sent again, unless its device's state shows it
already arrived (the echo check in :mod:`edge_os.drivers.mqtt.sender`): ``done`` then means the
device reported it. Only for an entity with no state topic is it QoS 1's "at least
once": a device can get it twice if the broker had passed it on just before dying.

For the same reason a PUBACK is not the last word for an entity with a state topic: the
command is reported ``done`` at once, but kept (queue state ``sent``) until the device's
state shows it, and sent again if the broker went away first (a broker killed after
confirming loses what it had not written to the device yet). A command can then be
reported twice to :meth:`MqttDriver.add_listener` listeners: ``done``, then how its
second delivery ended.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from edge_os.config.settings import Config
from edge_os.devices.entity import Entity
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.drivers.mqtt.connection import RECONNECT_INITIAL_SECONDS, MqttConnection
from edge_os.drivers.mqtt.echo import comparable, shows
from edge_os.drivers.mqtt.queue import CommandQueue, CommandState, QueuedCommand, next_origin
from edge_os.drivers.mqtt.sender import QueueSender
from edge_os.drivers.mqtt.state import EntityState, StateCache
from edge_os.drivers.payloads import render_command
from edge_os.errors import DeviceError, ErrorCode
from edge_os.runtime.backoff import Backoff
from edge_os.stages.outcome import ActionOutcome, ActionRequest, OutcomeStatus

_LOGGER = logging.getLogger(__name__)

_CLI: ContextVar[bool] = ContextVar("edge_os_mqtt_cli", default=False)


def availability_topic(config: Config) -> str:
    """``<topic_prefix>/<site id>/availability``: ``online``, or ``offline`` (last will)."""
    return f"{config.mqtt.topic_prefix}/{config.site.id}/availability"


def service_client_id(config: Config) -> str:
    """The service's stable client id: ``mqtt.client_id``, or ``edge-os-<site id>``."""
    return config.mqtt.client_id or f"edge-os-{config.site.id}"


@contextmanager
def cli_session(config: Config) -> Iterator[Config]:
    """``config`` for one CLI command (``say``, ``devices test``), apart from the service.

    Inside, connections use the client id ``edge-os-<site id>-cli-<pid>`` with a clean
    session, and a queue of their own in a temporary folder, so a CLI command never
    knocks the running service off the broker nor takes commands from its queue. A CLI
    process has no later in which to deliver, so a command it cannot get confirmed
    within ``mqtt.ack_timeout_seconds`` is reported as failed, not queued.
    """
    folder = Path(tempfile.mkdtemp(prefix="edge-os-cli-queue-"))
    mqtt = config.mqtt.model_copy(
        update={
            "client_id": f"edge-os-{config.site.id}-cli-{os.getpid()}",
            "queue_dir": folder,
            "announce_availability": False,
        }
    )
    token = _CLI.set(True)
    try:
        yield config.model_copy(update={"mqtt": mqtt})
    finally:
        _CLI.reset(token)
        shutil.rmtree(folder, ignore_errors=True)


def make_connection(
    config: Config, *, host: str | None = None, port: int | None = None
) -> MqttConnection:
    """A connection to the configured broker (or to ``host``/``port`` when given).

    The service keeps a persistent session on MQTT 5: it expires
    ``mqtt.queue_max_age_seconds`` after edge-os went away, so no control command older
    than that waits for it. MQTT 3.1.1 sessions never expire, so a kept session could hand
    edge-os an "unlock" from yesterday: on 3.1.1 the session is clean, and commands sent
    while edge-os is down are not kept. Inside :func:`cli_session` it is always clean.
    """
    settings = config.mqtt
    resolved_host = host or settings.host
    if resolved_host is None:
        raise DeviceError(
            ErrorCode.MQTT_FAILED, "mqtt.host is null: start an EmbeddedBroker and pass its host"
        )
    persistent = settings.protocol == "5" and not _CLI.get()
    # control commands kept by the session wait, unacknowledged, for the service to subscribe
    held: tuple[str, ...] = ()
    if persistent:
        held = (f"{settings.topic_prefix}/{config.site.id}/#", "hermes/#")
        if config.site.role == "hub":  # what satellites said while it was away
            held += (f"{settings.topic_prefix}/+/voice/#",)
    return MqttConnection(
        settings,
        host=resolved_host,
        port=port or settings.port,
        client_id=service_client_id(config),
        availability_topic=availability_topic(config) if settings.announce_availability else None,
        backoff=Backoff(RECONNECT_INITIAL_SECONDS, settings.reconnect_max_seconds),
        persistent_session=persistent,
        session_expiry_seconds=round(settings.queue_max_age_seconds),
        hold_filters=held,
    )


@dataclass(frozen=True)
class DeliveryReport:
    """How a queued command ended: done, failed or stale."""

    command: QueuedCommand
    state: CommandState
    reason: str
    """In words: the broker's reason, or why it was dropped."""


DeliveryListener = Callable[[DeliveryReport], None]


class MqttDriver:
    """Carries out requests on MQTT entities and keeps their last reported state."""

    def __init__(
        self,
        connection: MqttConnection,
        queue: CommandQueue,
        entities: Iterable[Entity],
        *,
        ack_timeout_seconds: float = 2.0,
        max_age_seconds: float = 900.0,
        states: StateCache | None = None,
        keeps_queue: bool = True,
    ) -> None:
        self.connection = connection
        self.queue = queue
        self.states = states or StateCache()
        self.ack_timeout_seconds = ack_timeout_seconds
        self.max_age_seconds = max_age_seconds
        self.keeps_queue = keeps_queue
        self.broker: EmbeddedBroker | None = None
        """edge-os's own broker when ``mqtt.host`` is null (its login for local tools)."""
        """False for a CLI process: what it cannot deliver now is withdrawn, not queued."""
        self._entities: dict[str, Entity] = {}
        self._results: dict[int, DeliveryReport] = {}
        self._notes: dict[int, str] = {}
        self._waiting: set[int] = set()
        self._cond = threading.Condition()
        self._listeners: list[DeliveryListener] = []
        self.sender = QueueSender(
            connection,
            queue,
            max_age_seconds=max_age_seconds,
            on_end=self._finish,
            on_note=self._note,
            echo=self._echoed,
            on_acked=self._report,
        )
        """The thread that delivers the queue."""
        self.delivered = 0
        """Commands the broker confirmed since this driver started."""
        self.dropped_stale = 0
        """Commands dropped for age since this driver started."""
        for entity in entities:
            self.add_entity(entity)

    @classmethod
    def from_config(
        cls,
        config: Config,
        entities: Iterable[Entity],
        *,
        host: str | None = None,
        port: int | None = None,
    ) -> MqttDriver:
        """A driver for ``config``'s broker (or ``host``/``port``) and queue folder."""
        settings = config.mqtt
        return cls(
            make_connection(config, host=host, port=port),
            CommandQueue(settings.queue_dir or config.state_dir / "queue"),
            entities,
            ack_timeout_seconds=settings.ack_timeout_seconds,
            max_age_seconds=settings.queue_max_age_seconds,
            keeps_queue=not _CLI.get(),
        )

    def add_entity(self, entity: Entity) -> None:
        """Drive ``entity`` and subscribe to its state topic (also for imported entities)."""
        if entity.mqtt is None:
            return
        self._entities[entity.id] = entity
        if entity.mqtt.state_topic is not None:

            def on_state(topic: str, payload: bytes, retain: bool) -> None:
                self.states.feed(entity, topic, payload)

            self.connection.subscribe(entity.mqtt.state_topic, on_state)

    def _echoed(self, command: QueuedCommand, since: float) -> bool | None:
        """Whether the entity's state, reported at or after ``since``, shows ``command``."""
        entity = self._entities.get(command.entity_id)
        if entity is None or entity.mqtt is None or entity.mqtt.state_topic is None:
            return None
        state = self.states.get(entity.id)
        if state is None or not comparable(command.topic, command.payload, state, entity):
            return None  # its state cannot say: the broker's PUBACK is the last word
        if state.updated_monotonic < since:
            return False
        return shows(command.payload, state)

    def add_listener(self, listener: DeliveryListener) -> None:
        """Call ``listener`` (in the sender thread) when a queued command ends."""
        self._listeners.append(listener)

    def start(self, wait_seconds: float = 5.0) -> bool:
        """Connect (waiting up to ``wait_seconds``) and start draining the queue."""
        self.queue.prune()
        for command in self.queue.sent():
            # confirmed by a broker that outlived the last edge-os: it had them to deliver
            self.queue.finish(command.id, CommandState.DONE)
        self.sender.start()
        try:
            return self.connection.start(wait_seconds)
        except DeviceError:  # a refused login: nothing to send to
            self.sender.stop()
            raise

    def stop(self) -> None:
        """Stop sending (queued commands stay on disk), disconnect, close the queue."""
        self.sender.stop()
        self.connection.stop()
        self.queue.close()

    def state(self, entity_id: str) -> EntityState | None:
        """Last state ``entity_id`` reported on its state topic."""
        return self.states.get(entity_id)

    def execute(self, request: ActionRequest) -> ActionOutcome:
        """Queue the command durably, then wait for its end (DONE, FAILED) or not (QUEUED)."""
        entity = self._entities.get(request.entity_id)
        if entity is None:
            return ActionOutcome(
                request, OutcomeStatus.FAILED, f"{request.entity_id} is not an MQTT entity"
            )
        try:
            topic, payload, retain = render_command(entity, request)
            command = self._push(topic, payload, retain=retain, entity_id=entity.id)
        except DeviceError as err:
            return ActionOutcome(request, OutcomeStatus.FAILED, err.message)
        if command.state is not CommandState.PENDING:  # asked again after a restart
            _LOGGER.info("command %s was already %s; not sent again", command.origin, command.state)
            return self._outcome(request, command.state, "")
        if not self.connection.connected and self.keeps_queue:
            self._forget(command.id)
            return ActionOutcome(
                request,
                OutcomeStatus.QUEUED,
                "the MQTT broker is not reachable; the command is saved and will be sent "
                "when it is back",
            )
        report = self.wait_result(command.id, self.ack_timeout_seconds)
        if report is not None:
            return self._outcome(request, report.state, report.reason)
        note = self._notes.pop(command.id, None) or (
            f"the MQTT broker did not confirm within {self.ack_timeout_seconds:g} s"
        )
        if not self.keeps_queue and self._withdraw(command.id):
            return ActionOutcome(
                request, OutcomeStatus.FAILED, f"{note}; given up, nothing will send it later"
            )
        return ActionOutcome(
            request, OutcomeStatus.QUEUED, f"{note}; the command is saved and will be sent"
        )

    def enqueue(
        self, topic: str, payload: bytes, *, retain: bool, entity_id: str, track: bool = False
    ) -> int:
        """Store a command durably and wake the sender; returns its queue id.

        With ``track`` its end is kept for :meth:`wait_result`.
        """
        return self._push(topic, payload, retain=retain, entity_id=entity_id, track=track).id

    def wait_result(self, command_id: int, timeout_seconds: float) -> DeliveryReport | None:
        """How a queued command ended, or None if it has not ended in time."""
        deadline = time.monotonic() + timeout_seconds
        with self._cond:
            while command_id not in self._results:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._waiting.discard(command_id)
                    return None
                self._cond.wait(left)
            self._waiting.discard(command_id)
            self._notes.pop(command_id, None)
            return self._results.pop(command_id)

    def wait_drained(self, timeout_seconds: float) -> bool:
        """Block until no command is pending or the timeout."""
        deadline = time.monotonic() + timeout_seconds
        while len(self.queue) and time.monotonic() < deadline:
            with self._cond:
                self._cond.wait(0.05)
        return len(self.queue) == 0

    def _push(
        self, topic: str, payload: bytes, *, retain: bool, entity_id: str, track: bool = True
    ) -> QueuedCommand:
        with self._cond:
            command = self.queue.push(
                topic, payload, retain=retain, entity_id=entity_id, origin=next_origin()
            )
            if track and command.state is CommandState.PENDING:
                self._waiting.add(command.id)
        self.sender.wake()
        return command

    def _outcome(self, request: ActionRequest, state: CommandState, reason: str) -> ActionOutcome:
        if state in (CommandState.DONE, CommandState.SENT):
            return ActionOutcome(request, OutcomeStatus.DONE)
        if state is CommandState.STALE:
            return ActionOutcome(
                request,
                OutcomeStatus.FAILED,
                f"it could not be sent within {self.max_age_seconds:g} s, so it was dropped",
            )
        return ActionOutcome(
            request, OutcomeStatus.FAILED, f"the MQTT broker refused it: {reason or 'refused'}"
        )

    def _forget(self, command_id: int) -> None:
        with self._cond:
            self._waiting.discard(command_id)
            self._results.pop(command_id, None)
            self._notes.pop(command_id, None)

    def _withdraw(self, command_id: int) -> bool:
        """Take a pending command back (CLI); False if it ended meanwhile."""
        with self._cond:
            self._forget(command_id)
            if not self.queue.contains(command_id):
                return False
            self.queue.remove(command_id)
            return True

    def _finish(self, command: QueuedCommand, state: CommandState, reason: str) -> None:
        self.queue.finish(command.id, state)
        self._report(command, state, reason)

    def _report(self, command: QueuedCommand, state: CommandState, reason: str) -> None:
        report = DeliveryReport(command, state, reason)
        with self._cond:
            if state is CommandState.DONE:
                self.delivered += 1
            elif state is CommandState.STALE:
                self.dropped_stale += 1
            if command.id in self._waiting:
                self._results[command.id] = report
            self._cond.notify_all()
        for listener in self._listeners:
            try:
                listener(report)
            except Exception:
                _LOGGER.exception("delivery listener failed")

    def _note(self, command_id: int, note: str) -> None:
        with self._cond:
            if command_id in self._waiting:
                self._notes[command_id] = note


@contextmanager
def open_mqtt(
    config: Config, entities: Iterable[Entity], wait_seconds: float = 5.0
) -> Iterator[MqttDriver]:
    """A started driver for ``config``; with ``mqtt.host: null`` on an embedded broker."""
    broker = EmbeddedBroker(private=True) if config.mqtt.host is None else None
    try:
        if broker is not None:
            broker.start()
            login = {"username": broker.username, "password": SecretStr(broker.password or "")}
            mqtt = config.mqtt.model_copy(update={**login, "password_file": None})
            config = config.model_copy(update={"mqtt": mqtt})
        driver = MqttDriver.from_config(
            config,
            entities,
            host=broker.host if broker is not None else None,
            port=broker.port if broker is not None else None,
        )
        driver.broker = broker
        try:
            driver.start(wait_seconds)
            yield driver
        finally:
            driver.stop()
    finally:
        if broker is not None:
            broker.close()
