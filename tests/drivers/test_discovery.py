"""Home Assistant MQTT discovery of edge-os's own entities, against a real Mosquitto."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from edge_os import __version__
from edge_os.drivers.discovery.publish import (
    DiscoveryPublisher,
    discovery_messages,
    record_path,
    retire,
)
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from tests.drivers.helpers import home_config, start_driver
from tests.mqtt_broker import Subscriber
from tests.waiting import wait_until

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
    "icon",
}
KNOWN = {
    "sensor": COMMON
    | {"unit_of_measurement", "device_class", "value_template", "json_attributes_topic"},
    "switch": COMMON | {"command_topic", "payload_on", "payload_off"},
    "select": COMMON | {"command_topic", "options"},
    "number": COMMON | {"command_topic", "min", "max", "step", "unit_of_measurement"},
}


def test_discovery_payloads_follow_home_assistants_schema(tmp_path: Path) -> None:
    config = home_config(tmp_path)
    messages = discovery_messages(config)
    components = sorted(TOPIC.match(t)["component"] for t in messages)  # type: ignore[index]
    assert components == ["number", "select", "sensor", "sensor", "sensor", "switch"]
    unique_ids = [payload["unique_id"] for payload in messages.values()]
    assert len(set(unique_ids)) == 6
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
    number = next(p for t, p in messages.items() if "/number/" in t)
    assert number["min"] < number["max"] and number["step"] > 0


def test_suggested_area_is_the_areas_name_not_its_id(tmp_path: Path) -> None:
    messages = discovery_messages(home_config(tmp_path))
    areas = {payload["device"]["suggested_area"] for payload in messages.values()}
    assert areas == {"Living room"}  # the example home stands in living_room


def test_the_wake_word_select_offers_the_configured_word_first(tmp_path: Path) -> None:
    messages = discovery_messages(home_config(tmp_path))
    select = next(p for t, p in messages.items() if "/select/" in t)
    assert select["options"] == ["hey_jarvis", "alexa", "hey_mycroft", "hey_rhasspy"]


def test_the_last_answer_sensor_reads_the_answer_from_json(tmp_path: Path) -> None:
    messages = discovery_messages(home_config(tmp_path))
    answer = messages["homeassistant/sensor/edge_os_home/last_answer/config"]
    assert (answer["state_topic"], answer["value_template"]) == (
        "edge_os/home/answer",
        "{{ value_json.answer }}",
    )


def test_announced_retained_and_again_when_home_assistant_comes_online(
    mosquitto: EmbeddedBroker, tmp_path: Path
) -> None:
    config = home_config(tmp_path, mosquitto)
    driver = start_driver(config)
    publisher = DiscoveryPublisher(driver.connection, config)
    publisher.start()
    ha = None
    try:
        wait_until(lambda: publisher.published == 1, 5, "the first announcement")
        driver.connection.wait_subscribed(5)
        ha = Subscriber(mosquitto, "homeassistant/+/+/+/config", client_id="ha")
        retained = ha.wait_for(6)
        assert all(message.retain for message in retained)
        assert {m.topic for m in retained} == set(discovery_messages(config))
        ha.publish("homeassistant/status", "offline")
        ha.publish("homeassistant/status", "online")
        wait_until(lambda: publisher.published == 2, 5, "the second announcement")
        assert len(ha.wait_for(12)) == 12
        publisher.stop()
        ha.publish("homeassistant/status", "online", retain=True)  # a stale birth message
        time.sleep(0.3)  # its live copy reaches edge-os while nothing handles it
        publisher.start()  # subscribing again hands over the retained "online"
        wait_until(lambda: publisher.published == 3, 5, "the announcement of the start")
        time.sleep(0.5)  # time for the retained "online" to arrive, and be ignored
        assert publisher.published == 3
    finally:
        if ha is not None:
            ha.close()
        publisher.stop()
        driver.stop()


def test_configs_no_longer_announced_are_deleted(mosquitto: EmbeddedBroker, tmp_path: Path) -> None:
    """A config recorded by an earlier run (another site id, an older entity) is deleted."""
    config = home_config(tmp_path, mosquitto)
    old = "homeassistant/sensor/edge_os_home/old_entity/config"
    record_path(config).parent.mkdir(parents=True)
    record_path(config).write_text(json.dumps({"topics": [old]}), encoding="utf-8")
    ha = Subscriber(mosquitto, "homeassistant/#", client_id="ha")
    ha.publish(old, '{"name": "Old", "state_topic": "x"}', retain=True)
    driver = start_driver(config)
    publisher = DiscoveryPublisher(driver.connection, config)
    try:
        publisher.start()
        wait_until(lambda: publisher.published == 1, 5, "the announcement")
        deleted = ha.wait_for(2, old)[-1]
        assert (deleted.payload, publisher.removed) == (b"", [old])
        recorded = json.loads(record_path(config).read_text(encoding="utf-8"))["topics"]
        assert recorded == sorted(discovery_messages(config))
    finally:
        ha.close()
        publisher.stop()
        driver.stop()


def test_turning_discovery_off_deletes_what_was_announced(
    mosquitto: EmbeddedBroker, tmp_path: Path
) -> None:
    config = home_config(tmp_path, mosquitto)
    driver = start_driver(config)
    publisher = DiscoveryPublisher(driver.connection, config)
    ha = Subscriber(mosquitto, "homeassistant/+/+/+/config", client_id="ha")
    try:
        publisher.start()
        ha.wait_for(6)
        publisher.stop()
        assert sorted(retire(driver.connection, config)) == sorted(discovery_messages(config))
        deleted = ha.wait_for(12)[6:]
        assert {m.payload for m in deleted} == {b""}
        assert retire(driver.connection, config) == []  # nothing left to delete
    finally:
        ha.close()
        driver.stop()
