"""Control commands over MQTT: kept on disk, carried out once, garbage refused in one line."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from edge_os.config.settings import Config
from edge_os.devices.entity import Action
from edge_os.drivers.discovery.publish import own_topics
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.drivers.mqtt.connection import Inbound, MqttConnection
from edge_os.drivers.mqtt.driver import make_connection
from edge_os.drivers.mqtt.queue import command_origin
from edge_os.service.control import (
    MAX_JSON_DEPTH,
    MAX_PAYLOAD_BYTES,
    ControlHandlers,
    ControlPayloadError,
    MqttControl,
    parse_json,
)
from edge_os.service.inbox import MAX_ATTEMPTS, ControlInbox, Ticket
from edge_os.stages.outcome import ActionRequest, OutcomeStatus
from tests.drivers.helpers import home_config, start_driver
from tests.mqtt_broker import Subscriber
from tests.waiting import wait_until

COMMAND = "edge_os/home/command"
CONNECTION = "edge_os.drivers.mqtt.connection"
"""Where a handler that raised would be logged, with its traceback."""


@dataclass
class Calls:
    """What the control asked the service to do."""

    commands: list[tuple[str, Ticket | None]] = field(default_factory=list)
    other: list[tuple[str, object]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handlers(self) -> ControlHandlers:
        def record(kind: str):  # type: ignore[no-untyped-def]
            def call(*args: object) -> None:
                with self.lock:
                    self.other.append((kind, args))

            return call

        def command(text: str, ticket: Ticket | None) -> None:
            with self.lock:
                self.commands.append((text, ticket))

        return ControlHandlers(
            command=command,
            say=record("say"),
            mute=record("mute"),
            volume=record("volume"),
            schedule_list=record("schedule_list"),
            schedule_cancel=record("schedule_cancel"),
        )


class Edge:
    """The MQTT half of one run of edge-os: persistent session, control, inbox."""

    def __init__(self, config: Config) -> None:
        self.calls = Calls()
        self.connection: MqttConnection = make_connection(config)
        self.control = MqttControl(
            self.connection,
            own_topics(config),
            config.site.id,
            self.calls.handlers(),
            inbox=ControlInbox.open(config),
        )
        self.connection.start(5)
        self.control.start()
        assert self.connection.wait_subscribed(5)

    def texts(self) -> list[str]:
        """Commands handed over so far."""
        with self.calls.lock:
            return [text for text, _ in self.calls.commands]

    def crash(self) -> None:
        """Go away without handling anything more (the inbox file stays as it is)."""
        self.control.stop()
        self.connection.stop()


@pytest.fixture
def config(mosquitto: EmbeddedBroker, tmp_path: Path) -> Config:
    return home_config(tmp_path, mosquitto, ack_timeout_seconds=2.0)


@pytest.fixture
def phone(mosquitto: EmbeddedBroker) -> Iterator[Subscriber]:
    """Whoever sends commands (Home Assistant, a script), QoS 1."""
    client = Subscriber(mosquitto, "nothing/here", client_id="phone")
    yield client
    client.close()


def test_garbage_is_refused_in_one_line_each_and_never_a_traceback(
    config: Config, phone: Subscriber, caplog: pytest.LogCaptureFixture
) -> None:
    edge = Edge(config)
    garbage = [
        (COMMAND, b"\xff\xfe\x00"),  # not UTF-8
        (COMMAND, b'{"text": ' + b"[" * 3000 + b"]" * 3000 + b"}"),  # deep, within the size
        (COMMAND, b"[" * 100_000),  # deep and huge
        (COMMAND, b"x" * (MAX_PAYLOAD_BYTES + 1)),
        (COMMAND, b'{"text": NaN}'),
        (COMMAND, b"{not json"),
        ("hermes/nlu/query", b'{"input": 1e999}'),
        ("hermes/tts/say", b'{"text": "hi", "id": ' + b"[" * 2000 + b"}"),
        ("edge_os/home/volume/set", b"inf"),
        ("edge_os/home/volume/set", b"nan"),
        ("edge_os/home/volume/set", b"1e999"),
        ("edge_os/home/volume/set", b"101"),
        ("edge_os/home/mute/set", b"maybe"),
        ("edge_os/home/schedule/cancel", b"[" * 5000),
    ]
    try:
        with caplog.at_level(logging.WARNING):
            for topic, payload in garbage:
                phone.publish(topic, payload)
            wait_until(lambda: edge.control.rejected == len(garbage), 5, "every rejection")
        ours = [r for r in caplog.records if r.name.startswith(("edge_os.service", CONNECTION))]
        assert all(record.exc_info is None for record in ours)  # no traceback, anywhere
        refusals = [r for r in ours if r.getMessage().startswith("ignoring ")]
        assert len(refusals) == len(garbage)  # one line each
        assert edge.calls.commands == [] and edge.calls.other == []
        phone.publish("edge_os/home/volume/set", "35.4")
        phone.publish(COMMAND, '{"text": "turn on the kitchen light"}')
        wait_until(lambda: edge.texts() == ["turn on the kitchen light"], 5, "a good command")
        assert ("volume", (35,)) in edge.calls.other
        assert edge.connection.connected
    finally:
        edge.crash()


def test_json_depth_counts_brackets_outside_strings_only() -> None:
    deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    with pytest.raises(ControlPayloadError, match="nested deeper"):
        parse_json(deep)
    text = '{"text": "' + "[" * 50 + '\\"{"}'
    assert parse_json(text) == {"text": "[" * 50 + '"{'}
    with pytest.raises(ControlPayloadError, match="Infinity is not a number"):
        parse_json("[Infinity]")


def test_a_command_sent_while_edge_os_is_down_is_carried_out_when_it_returns(
    config: Config, phone: Subscriber
) -> None:
    first = Edge(config)  # edge-os ran once: the broker knows its session
    first.crash()
    phone.publish(COMMAND, "turn on the coffee machine")  # the broker keeps it for edge-os
    phone.publish("hermes/nlu/query", '{"input": "turn on the sprinkler"}')
    second = Edge(config)
    try:
        wait_until(lambda: len(second.texts()) == 2, 5, "the commands sent while it was down")
        assert second.texts() == ["turn on the coffee machine", "turn on the sprinkler"]
        assert all(ticket is not None for _, ticket in second.calls.commands)
    finally:
        second.crash()


def test_a_stored_command_survives_a_crash_and_runs_once(config: Config, phone: Subscriber) -> None:
    first = Edge(config)
    phone.publish(COMMAND, "turn on the coffee machine")  # acknowledged once on disk
    wait_until(lambda: first.texts() == ["turn on the coffee machine"], 5, "the command")
    first.crash()  # killed before the command ran
    second = Edge(config)
    ran: list[str] = []
    try:
        [(text, ticket)] = second.calls.commands  # handed over again at start
        assert text == "turn on the coffee machine" and ticket is not None
        ticket.wrap(ran.append)(text)
        assert ran == [text]
    finally:
        second.crash()
    third = Edge(config)
    try:
        assert third.calls.commands == []  # done: never again
    finally:
        third.crash()


def test_a_command_that_kills_edge_os_is_not_retried_forever(config: Config) -> None:
    inbox = ControlInbox.open(config)
    message = Inbound(COMMAND, b"turn on the fan", retain=False, dup=False, packet_id=3)
    entry = inbox.accept(message, "turn on the fan")
    assert entry is not None
    for attempt in range(MAX_ATTEMPTS):
        [again] = inbox.unfinished()
        assert (again.id, again.attempts) == (entry.id, attempt)
        inbox.take(entry.id)  # handling began; edge-os died before it ended
    assert inbox.unfinished() == []  # dropped, with a warning
    inbox.close()


def test_a_redelivery_is_recognised_and_a_repeat_is_not(config: Config) -> None:
    inbox = ControlInbox.open(config)
    first = Inbound(COMMAND, b"turn on the fan", retain=False, dup=False, packet_id=7)
    assert inbox.accept(first, "turn on the fan") is not None
    redelivered = Inbound(COMMAND, b"turn on the fan", retain=False, dup=True, packet_id=7)
    assert inbox.accept(redelivered, "turn on the fan") is None
    other_id = Inbound(COMMAND, b"turn on the fan", retain=False, dup=True, packet_id=8)
    assert inbox.accept(other_id, "turn on the fan") is not None
    said_again = Inbound(COMMAND, b"turn on the fan", retain=False, dup=False, packet_id=7)
    assert inbox.accept(said_again, "turn on the fan") is not None
    inbox.close()


def test_a_command_handled_again_does_not_send_its_device_commands_twice(
    mosquitto: EmbeddedBroker, tmp_path: Path
) -> None:
    device = Subscriber(mosquitto, "cmnd/coffee_machine/POWER", client_id="coffee")
    driver = start_driver(home_config(tmp_path, mosquitto))
    request = ActionRequest("switch.coffee_machine", Action.TURN_ON)
    try:
        for _ in range(2):  # the second time: after a crash in the middle of the first
            with command_origin("control:abc"):
                assert driver.execute(request).status is OutcomeStatus.DONE
        with command_origin("control:def"):  # another command: sent
            assert driver.execute(request).status is OutcomeStatus.DONE
        device.wait_for(2)
        wait_until(lambda: len(driver.queue) == 0, 5, "the queue to drain")
        assert [m.payload for m in device.received()] == [b"ON", b"ON"]
    finally:
        driver.stop()
        device.close()
