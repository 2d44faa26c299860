"""``recognize`` and ``transcript`` go through edge-os's command path, as the ``wyoming`` source."""

# The example home's devices are on a real Mosquitto; a subscriber stands in for them.

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from wyoming.asr import Transcript
from wyoming.handle import Handled, NotHandled
from wyoming.intent import Intent, Recognize

from edge_os.config.settings import Config
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.wyoming.engines import Engines
from edge_os.wyoming.info import build_info
from tests.intent.embed.conftest import embed_model_dir
from tests.mqtt_broker import Subscriber
from tests.wyoming.client import exchange
from tests.wyoming.conftest import RunningServer, serve

KITCHEN = "zigbee2mqtt/kitchen_ceiling/set"
FRONT_DOOR = "zigbee2mqtt/front_door_lock/set"
GARAGE = "home/garage/door/set"
__all__ = ["embed_model_dir"]  # the sentence encoder's fixture, reused


@pytest.fixture
def devices(broker: EmbeddedBroker) -> Iterator[Subscriber]:
    """Everything published on the broker (the devices' command topics among it)."""
    subscriber = Subscriber(broker, "#", client_id="wyoming-devices")
    yield subscriber
    subscriber.close()


def handle(server: RunningServer, text: str) -> Handled | NotHandled:
    replies = exchange(
        server.port, [Transcript(text=text).event()], until={"handled", "not-handled", "error"}
    )
    assert len(replies) == 1, replies
    if Handled.is_type(replies[0].type):
        return Handled.from_event(replies[0])
    assert NotHandled.is_type(replies[0].type), replies[0]
    return NotHandled.from_event(replies[0])


def test_recognize_names_the_intent_and_acts_on_nothing(
    server: RunningServer, devices: Subscriber
) -> None:
    replies = exchange(
        server.port,
        [Recognize(text="turn on the kitchen light").event()],
        until={"intent", "not-recognized", "error"},
    )
    assert [e.type for e in replies] == ["intent"], replies
    intent = Intent.from_event(replies[0])
    assert intent.name == "HassTurnOn"
    assert {e.name: e.value for e in intent.entities} == {"name": "Kitchen light"}
    assert intent.context is not None and intent.context["targets"] == ["light.kitchen_ceiling"]
    # a handled command is delivered within milliseconds; a recognised one never is
    assert handle(server, "turn off the kitchen light").text == "Turned off the kitchen light."
    assert [m.payload for m in devices.wait_for(1, KITCHEN)] == [b'{"state": "OFF"}']


def test_recognize_an_unknown_sentence(server: RunningServer) -> None:
    replies = exchange(
        server.port,
        [Recognize(text="what is the airspeed velocity of an unladen swallow").event()],
        until={"intent", "not-recognized", "error"},
    )
    assert [e.type for e in replies] == ["not-recognized"]


def test_handle_carries_the_command_out(server: RunningServer, devices: Subscriber) -> None:
    reply = handle(server, "turn on the kitchen light")
    assert isinstance(reply, Handled)
    assert reply.text == "Turned on the kitchen light."
    assert [m.payload for m in devices.wait_for(1, KITCHEN)] == [b'{"state": "ON"}']


def test_handle_of_an_unknown_sentence_is_not_handled(server: RunningServer) -> None:
    reply = handle(server, "what is the airspeed velocity of an unladen swallow")
    assert isinstance(reply, NotHandled)
    assert reply.text  # says it did not understand, for Home Assistant to speak


def test_no_sensitive_action_from_wyoming_not_even_with_a_yes(
    server: RunningServer, devices: Subscriber
) -> None:
    # Wyoming has no authentication: a lock refuses it unless sensitive_sources lists it
    first = handle(server, "unlock the front door")
    assert isinstance(first, Handled), first
    assert "front door" in (first.text or "").lower()
    assert not isinstance(handle(server, "yes"), Handled)  # nothing was waiting for a yes
    handle(server, "turn on the kitchen light")  # a later command arrives: the lock never did
    devices.wait_for(1, KITCHEN)
    assert devices.received(FRONT_DOOR) == []


def test_a_lock_that_trusts_wyoming_waits_for_a_yes_over_wyoming(
    wyoming_config: Config, devices: Subscriber
) -> None:
    entities = [
        e.model_copy(update={"sensitive_sources": ["voice", "wyoming"]})
        if e.id == "lock.front_door"
        else e
        for e in wyoming_config.entities
    ]
    # a client id of its own: the module's server is on the same broker
    mqtt = wyoming_config.mqtt.model_copy(update={"client_id": "trusting"})
    config = wyoming_config.model_copy(update={"entities": entities, "mqtt": mqtt})
    engines = Engines(config, llm=False)
    try:
        with serve(engines, build_info(config)) as trusting:
            question = handle(trusting, "unlock the front door")
            assert question.text == "Do you want me to unlock the front door?"
            assert isinstance(handle(trusting, "yes"), Handled)
            assert [m.payload for m in devices.wait_for(1, FRONT_DOOR)] == [b'{"state": "UNLOCK"}']
    finally:
        engines.close()


def test_a_model_only_reading_of_a_sensitive_request_asks_over_wyoming(
    wyoming_config: Config,
    devices: Subscriber,
    tmp_path: Path,
    embed_model_dir: Path,
) -> None:
    # "shut the garage" is in no template: the learned reader reads it (the sentence encoder)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "intent-embed").symlink_to(embed_model_dir)
    entities = [
        e.model_copy(update={"sensitive_sources": ["voice", "wyoming"]})
        if e.id == "cover.garage_door"
        else e
        for e in wyoming_config.entities
    ]
    mqtt = wyoming_config.mqtt.model_copy(update={"client_id": "trusting-garage"})
    config = wyoming_config.model_copy(
        update={"entities": entities, "mqtt": mqtt, "state_dir": tmp_path}
    )
    engines = Engines(config, llm=False)
    try:
        with serve(engines, build_info(config)) as trusting:
            assert engines.recognize("shut the garage").path == "model"
            question = handle(trusting, "shut the garage")
            assert question.text == "Do you want me to close the garage door?"
            assert devices.received(GARAGE) == []
            assert isinstance(handle(trusting, "yes"), Handled)
            assert [m.payload for m in devices.wait_for(1, GARAGE)] == [b"CLOSE"]
    finally:
        engines.close()
