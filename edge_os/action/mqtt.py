"""The MQTT device driver: commands through a durable queue, QoS 1, state from topics.

Every command is written to the on-disk :class:`CommandQueue` first and removed only when
the broker acknowledged it (PUBACK), by one sender thread, one command in flight at a
time: commands given while the broker is away are delivered in order, once, when it
returns, even across a restart of edge-os.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from edge_os.action.backoff import ReconnectBackoff
from edge_os.action.broker import EmbeddedBroker
from edge_os.action.connection import Ack, MqttConnection
from edge_os.action.outcome import ActionOutcome, ActionRequest, OutcomeStatus
from edge_os.action.payloads import render_command
from edge_os.action.queue import CommandQueue, QueuedCommand
from edge_os.action.state import EntityState, StateCache
from edge_os.config.settings import Config
from edge_os.devices.entity import Entity
from edge_os.errors import DeviceError, ErrorCode

_LOGGER = logging.getLogger(__name__)


def availability_topic(config: Config) -> str:
    """``<topic_prefix>/<site id>/availability``: ``online``, or ``offline`` (last will)."""
    return f"{config.mqtt.topic_prefix}/{config.site.id}/availability"


def make_connection(
    config: Config, *, host: str | None = None, port: int | None = None
) -> MqttConnection:
    """A connection to the configured broker (or to ``host``/``port`` when given)."""
    settings = config.mqtt
    resolved_host = host or settings.host
    if resolved_host is None:
        raise DeviceError(
            ErrorCode.MQTT_FAILED, "mqtt.host is null: start an EmbeddedBroker and pass its host"
        )
    return MqttConnection(
        settings,
        host=resolved_host,
        port=port or settings.port,
        client_id=settings.client_id or f"edge-os-{config.site.id}",
        availability_topic=availability_topic(config),
        backoff=ReconnectBackoff(max_seconds=settings.reconnect_max_seconds),
    )


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
    ) -> None:
        self.connection = connection
        self.queue = queue
        self.states = states or StateCache()
        self.ack_timeout_seconds = ack_timeout_seconds
        self.max_age_seconds = max_age_seconds
        self._entities: dict[str, Entity] = {}
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._results: dict[int, Ack] = {}
        self._waiting: set[int] = set()
        self._cond = threading.Condition()
        self._sender: threading.Thread | None = None
        self.delivered = 0
        """Commands the broker acknowledged since this driver started."""
        connection.add_connect_listener(self._wake.set)
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

    def start(self, wait_seconds: float = 5.0) -> bool:
        """Connect (waiting up to ``wait_seconds``) and start draining the queue."""
        if self._sender is None:
            self._sender = threading.Thread(target=self._send_loop, name="edge-os-mqtt-send")
            self._sender.daemon = True
            self._sender.start()
        return self.connection.start(wait_seconds)

    def stop(self) -> None:
        """Stop sending (queued commands stay on disk), disconnect, close the queue."""
        self._stop.set()
        self._wake.set()
        if self._sender is not None:
            self._sender.join(5.0)
            self._sender = None
        self.connection.stop()
        self.queue.close()

    def state(self, entity_id: str) -> EntityState | None:
        """Last state ``entity_id`` reported on its state topic."""
        return self.states.get(entity_id)

    def execute(self, request: ActionRequest) -> ActionOutcome:
        """Queue the command durably, then wait for the broker's PUBACK (DONE) or not (QUEUED)."""
        entity = self._entities.get(request.entity_id)
        if entity is None:
            return ActionOutcome(
                request, OutcomeStatus.FAILED, f"{request.entity_id} is not an MQTT entity"
            )
        try:
            topic, payload, retain = render_command(entity, request)
        except DeviceError as err:
            return ActionOutcome(request, OutcomeStatus.FAILED, err.message)
        try:
            command_id = self.enqueue(
                topic, payload, retain=retain, entity_id=entity.id, track=True
            )
        except DeviceError as err:
            return ActionOutcome(request, OutcomeStatus.FAILED, err.message)
        if not self.connection.connected:
            self._forget(command_id)
            return ActionOutcome(
                request,
                OutcomeStatus.QUEUED,
                "the MQTT broker is not reachable; the command is saved and will be sent "
                "when it is back",
            )
        ack = self.wait_result(command_id, self.ack_timeout_seconds)
        if ack is None:
            return ActionOutcome(
                request,
                OutcomeStatus.QUEUED,
                f"the MQTT broker did not confirm within {self.ack_timeout_seconds:g} s; "
                "the command is saved and will be sent when it answers",
            )
        if not ack.ok:
            return ActionOutcome(
                request, OutcomeStatus.FAILED, f"the MQTT broker refused it: {ack.reason}"
            )
        return ActionOutcome(request, OutcomeStatus.DONE)

    def enqueue(
        self, topic: str, payload: bytes, *, retain: bool, entity_id: str, track: bool = False
    ) -> int:
        """Store a command durably and wake the sender; returns its queue id.

        With ``track`` the broker's answer is kept for :meth:`wait_result`.
        """
        with self._cond:
            command_id = self.queue.push(topic, payload, retain=retain, entity_id=entity_id)
            if track:
                self._waiting.add(command_id)
        self._wake.set()
        return command_id

    def wait_result(self, command_id: int, timeout_seconds: float) -> Ack | None:
        """The broker's answer to a queued command, or None if it has not come in time."""
        deadline = time.monotonic() + timeout_seconds
        with self._cond:
            while command_id not in self._results:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._waiting.discard(command_id)
                    return None
                self._cond.wait(left)
            self._waiting.discard(command_id)
            return self._results.pop(command_id)

    def wait_drained(self, timeout_seconds: float) -> bool:
        """Block until the queue is empty (every command acknowledged) or the timeout."""
        deadline = time.monotonic() + timeout_seconds
        while len(self.queue) and time.monotonic() < deadline:
            with self._cond:
                self._cond.wait(0.05)
        return len(self.queue) == 0

    def _forget(self, command_id: int) -> None:
        with self._cond:
            self._waiting.discard(command_id)
            self._results.pop(command_id, None)

    def _finish(self, command: QueuedCommand, ack: Ack) -> None:
        self.queue.remove(command.id)
        with self._cond:
            if ack.ok:
                self.delivered += 1
            if command.id in self._waiting:
                self._results[command.id] = ack
            self._cond.notify_all()

    # --- the sender thread: one command in flight, strictly in queue order ---------------

    def _send_loop(self) -> None:
        inflight: tuple[int, int] | None = None  # (command id, paho message id)
        while not self._stop.is_set():
            self._wake.clear()
            command = self.queue.head()
            if command is None:
                self._wake.wait(1.0)
                continue
            if inflight is None or inflight[0] != command.id:
                if time.time() - command.created_unix > self.max_age_seconds:
                    _LOGGER.warning(
                        "dropping a command for %s queued %.0f s ago (older than %g s)",
                        command.entity_id,
                        time.time() - command.created_unix,
                        self.max_age_seconds,
                    )
                    self._finish(command, Ack(ok=False, reason="too old, dropped"))
                    continue
                if not self.connection.connected:
                    self.connection.wait_connected(0.2)
                    continue
                # once handed to paho, paho itself re-sends it after a reconnect, so it
                # is published by us exactly once per run of edge-os
                inflight = (
                    command.id,
                    self.connection.publish(
                        command.topic, command.payload, qos=1, retain=command.retain
                    ),
                )
            ack = self.connection.wait_ack(inflight[1], 0.2)
            if ack is None:
                continue
            if not ack.ok:
                _LOGGER.error(
                    "the broker refused the command for %s on %s: %s",
                    command.entity_id,
                    command.topic,
                    ack.reason,
                )
            self._finish(command, ack)
            inflight = None


@contextmanager
def open_mqtt(
    config: Config, entities: Iterable[Entity], wait_seconds: float = 5.0
) -> Iterator[MqttDriver]:
    """A started driver for ``config``; with ``mqtt.host: null`` on an embedded broker."""
    broker = EmbeddedBroker() if config.mqtt.host is None else None
    try:
        if broker is not None:
            broker.start()
        driver = MqttDriver.from_config(
            config,
            entities,
            host=broker.host if broker is not None else None,
            port=broker.port if broker is not None else None,
        )
        try:
            driver.start(wait_seconds)
            yield driver
        finally:
            driver.stop()
    finally:
        if broker is not None:
            broker.close()
