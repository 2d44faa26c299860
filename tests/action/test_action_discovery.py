"""Home Assistant MQTT discovery: our payloads against HA's schema, re-announce, import."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from edge_os import __version__
from edge_os.action.broker import EmbeddedBroker
from edge_os.action.discovery import discovery_messages
from edge_os.action.discovery_import import (
    RejectedDiscoveryError,
    entity_from_discovery,
    start_discovery,
)
from edge_os.action.dispatcher import Dispatcher
from edge_os.action.outcome import ActionRequest, OutcomeStatus
from edge_os.devices.entity import Action
from edge_os.devices.registry import DeviceRegistry
from tests.action.helpers import home_config, start_driver
from tests.mqtt_broker import Subscriber, wait_until

TOPIC = re.compile(
    r"^homeassistant/(?P<component>[a-z_]+)/(?P<node>[a-zA-Z0-9_-]+)/[a-zA-Z0-9_-]+/config$"
)
# Keys Home Assistant's MQTT platforms require, and the ones they know (a subset of HA's
# schemas: the keys edge-os uses); an unknown key would be a typo HA silently drops.
REQUIRED = {
    "sensor": {"state_topic"},
    "switch": {"command_topic"},
    "select": {"command_topic", "options"},
    "number": {"command_topic"},
}
COMMON = {
    "name",
    "unique_id",
    "availability_topic",
    "payload_available",
    "payload_not_available",
    "device",
    "origin",
    "state_topic",
}
KNOWN = {
    "sensor": COMMON | {"unit_of_measurement", "device_class"},
    "switch": COMMON | {"command_topic", "payload_on", "payload_off"},
    "select": COMMON | {"command_topic", "options"},
    "number": COMMON | {"command_topic", "min", "max", "step", "unit_of_measurement"},
}


def test_discovery_payloads_follow_home_assistants_schema(tmp_path: Path) -> None:
    config = home_config(tmp_path)
    messages = discovery_messages(config)
    components = sorted(TOPIC.match(t)["component"] for t in messages)  # type: ignore[index]
    assert components == ["number", "select", "sensor", "sensor", "switch"]
    unique_ids = [payload["unique_id"] for payload in messages.values()]
    assert len(set(unique_ids)) == 5
    for topic, payload in messages.items():
        match = TOPIC.match(topic)
        assert match is not None, topic
        component = match["component"]
        assert REQUIRED[component] <= payload.keys(), topic
        assert payload.keys() <= KNOWN[component], payload.keys() - KNOWN[component]
        assert payload["availability_topic"] == "edge_os/home/availability"
        for key in ("state_topic", "command_topic"):
            if key in payload:
                assert payload[key].startswith("edge_os/home/")
                assert "+" not in payload[key] and "#" not in payload[key]
        device = payload["device"]
        assert device["identifiers"] == [match["node"]]
        assert {"name", "model", "manufacturer", "sw_version"} <= device.keys()
        assert payload["origin"] == {"name": "edge-os", "sw": __version__}
        json.dumps(payload)  # plain JSON
    select = next(p for t, p in messages.items() if "/select/" in t)
    assert select["options"] == ["hey_jarvis"]
    number = next(p for t, p in messages.items() if "/number/" in t)
    assert number["min"] < number["max"] and number["step"] > 0


def test_announced_retained_and_again_when_home_assistant_comes_online(
    mosquitto: EmbeddedBroker, tmp_path: Path
) -> None:
    config = home_config(tmp_path, mosquitto)
    driver = start_driver(config)
    publisher, importer = start_discovery(
        driver.connection, config, DeviceRegistry.from_config(config)
    )
    assert publisher is not None and importer is None
    try:
        wait_until(lambda: publisher.published == 1, 5, "the first announcement")
        ha = Subscriber(mosquitto, "homeassistant/+/+/+/config", client_id="ha")
        retained = ha.wait_for(5)
        assert all(message.retain for message in retained)
        assert {m.topic for m in retained} == set(discovery_messages(config))
        ha.publish("homeassistant/status", "offline")
        ha.publish("homeassistant/status", "online")
        wait_until(lambda: publisher.published == 2, 5, "the second announcement")
        assert len(ha.wait_for(10)) == 10
        publisher.remove_all()
        deleted = ha.wait_for(15)[10:]
        assert {m.payload for m in deleted} == {b""}
        ha.close()
    finally:
        driver.stop()


SWITCH = {
    "~": "tasmota/plug_1",
    "name": "Tasmota plug",
    "uniq_id": "plug_1_relay",
    "cmd_t": "~/cmnd/POWER",
    "stat_t": "~/stat/POWER",
    "pl_on": "ON",
    "pl_off": "OFF",
    "dev": {"ids": ["plug_1"], "name": "Plug", "sa": "Kitchen"},
}
JSON_LIGHT = {
    "schema": "json",
    "name": None,
    "command_topic": "zigbee2mqtt/desk_strip/set",
    "state_topic": "zigbee2mqtt/desk_strip",
    "brightness": True,
    "unique_id": "0x00158d_light",
    "device": {"identifiers": ["0x00158d"], "name": "Desk strip"},
}


def test_entity_from_discovery_maps_and_validates() -> None:
    plug = entity_from_discovery("switch", "plug_1", json.dumps(SWITCH).encode())
    assert plug.id == "switch.plug_1" and plug.mqtt is not None
    assert (plug.mqtt.command_topic, plug.mqtt.state_topic) == (
        "tasmota/plug_1/cmnd/POWER",
        "tasmota/plug_1/stat/POWER",
    )
    strip = entity_from_discovery("light", "desk_strip", json.dumps(JSON_LIGHT).encode())
    assert strip.name == "Desk strip" and strip.actions[-1] is Action.SET_BRIGHTNESS
    assert strip.mqtt is not None and strip.mqtt.state_key == "state"
    bad = {"name": "No command", "state_topic": "x/state"}
    with pytest.raises(
        RejectedDiscoveryError, match=r"accepts actions .* but has no command_topic"
    ):
        entity_from_discovery("switch", "broken", json.dumps(bad).encode())
    with pytest.raises(RejectedDiscoveryError, match="not supported"):
        entity_from_discovery("climate", "x", b"{}")
    with pytest.raises(RejectedDiscoveryError, match="not JSON"):
        entity_from_discovery("switch", "x", b"{nope")
    wildcard = {"name": "W", "command_topic": "a/#"}
    with pytest.raises(RejectedDiscoveryError, match="not a topic"):
        entity_from_discovery("switch", "w", json.dumps(wildcard).encode())


def test_imported_entities_join_the_registry_and_can_be_driven(
    mosquitto: EmbeddedBroker, tmp_path: Path
) -> None:
    config = home_config(tmp_path, mosquitto, discovery={"import_entities": True})
    declared = DeviceRegistry.from_config(config)
    driver = start_driver(config)
    dispatcher = Dispatcher(declared, mqtt=driver)

    def imported(entity):  # type: ignore[no-untyped-def]
        driver.add_entity(entity)

    _, importer = start_discovery(driver.connection, config, declared, imported)
    assert importer is not None
    other = Subscriber(mosquitto, "tasmota/#", client_id="other-devices")
    try:
        driver.connection.wait_subscribed(5)
        other.publish("homeassistant/switch/plug_1/config", json.dumps(SWITCH), retain=True)
        other.publish("homeassistant/light/desk_strip/config", json.dumps(JSON_LIGHT))
        other.publish("homeassistant/switch/broken/config", '{"name": "x"}')
        other.publish("homeassistant/switch/coffee_machine/config", json.dumps(SWITCH))
        wait_until(lambda: len(importer.imported) == 2, 5, "two imported entities")
        assert set(importer.imported) == {"switch.plug_1", "light.desk_strip"}
        assert importer.imported["switch.plug_1"].area == "kitchen"
        request = ActionRequest("switch.plug_1", Action.TURN_ON)
        assert dispatcher.execute(request).status is OutcomeStatus.FAILED  # not yet merged
        dispatcher.update_registry(importer.registry())
        assert dispatcher.execute(request).status is OutcomeStatus.DONE
        assert other.wait_for(1, "tasmota/plug_1/cmnd/POWER")[0].payload == b"ON"
        other.publish("homeassistant/switch/plug_1/config", b"", retain=True)
        wait_until(lambda: "switch.plug_1" not in importer.imported, 5, "the removal")
    finally:
        other.close()
        driver.stop()
