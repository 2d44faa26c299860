"""Importing what Zigbee2MQTT, Tasmota and ESPHome announce, and refusing garbage."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from edge_os.cli.main import main
from edge_os.config.settings import Config
from edge_os.devices.entity import Action, Entity
from edge_os.devices.registry import DeviceRegistry
from edge_os.drivers.discovery.importer import (
    DiscoveryImporter,
    RejectedDiscoveryError,
    cache_path,
    entity_from_discovery,
    registry_with_imports,
)
from edge_os.drivers.discovery.mapping import MAX_CONFIG_BYTES, humanize
from edge_os.drivers.dispatcher import Dispatcher
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.drivers.mqtt.driver import MqttDriver
from edge_os.drivers.payloads import render_command
from edge_os.stages.outcome import ActionRequest, OutcomeStatus
from tests.conftest import EXAMPLE_HOME
from tests.drivers.helpers import home_config, start_driver
from tests.mqtt_broker import Subscriber
from tests.waiting import wait_until

# What Zigbee2MQTT 1.35 announces for an IKEA bulb named "hallway_spots" (trimmed).
Z2M_LIGHT: dict[str, Any] = {
    "availability": [
        {"topic": "zigbee2mqtt/bridge/state", "value_template": "{{ value_json.state }}"},
        {
            "topic": "zigbee2mqtt/hallway_spots/availability",
            "value_template": "{{ value_json.state }}",
        },
    ],
    "availability_mode": "all",
    "brightness": True,
    "brightness_scale": 254,
    "color_mode": True,
    "command_topic": "zigbee2mqtt/hallway_spots/set",
    "device": {
        "identifiers": ["zigbee2mqtt_0x00158d0001a2b3c4"],
        "manufacturer": "IKEA",
        "model": "LED1545G12",
        "name": "hallway_spots",
        "suggested_area": "Hallway",
    },
    "max_mireds": 454,
    "min_mireds": 250,
    "name": None,
    "object_id": "hallway_spots",
    "origin": {"name": "Zigbee2MQTT", "sw": "1.35.1"},
    "schema": "json",
    "state_topic": "zigbee2mqtt/hallway_spots",
    "supported_color_modes": ["xy", "color_temp"],
    "unique_id": "0x00158d0001a2b3c4_light_zigbee2mqtt",
}
Z2M_TOPIC = "homeassistant/light/0x00158d0001a2b3c4/light/config"
# Tasmota's Home Assistant discovery (SetOption19 1) for a dimmable RGB bulb.
TASMOTA_LIGHT: dict[str, Any] = {
    "~": "tasmota_DC4F22/",
    "name": "Desk bulb",
    "cmd_t": "~cmnd/POWER",
    "stat_t": "~tele/STATE",
    "val_tpl": "{{value_json.POWER}}",
    "pl_off": "OFF",
    "pl_on": "ON",
    "avty_t": "~tele/LWT",
    "pl_avail": "Online",
    "pl_not_avail": "Offline",
    "uniq_id": "DC4F22_LI_1",
    "dev": {"ids": ["DC4F22"], "sa": "office"},
    "bri_cmd_t": "~cmnd/Dimmer",
    "bri_scl": 100,
    "rgb_cmd_t": "~cmnd/Color2",
    "clr_temp_cmd_t": "~cmnd/CT",
}
# ESPHome's JSON light (brightness on HA's default 0-255 scale).
ESPHOME_LIGHT: dict[str, Any] = {
    "schema": "json",
    "name": "Shelf strip",
    "command_topic": "shelf/light/strip/command",
    "state_topic": "shelf/light/strip/state",
    "brightness": True,
    "supported_color_modes": ["rgb"],
    "availability_topic": "shelf/status",
    "unique_id": "ESPlightstrip",
    "device": {"identifiers": ["a4cf12"], "name": "shelf"},
}
PORCH_HEATER: dict[str, Any] = {
    "name": "Heater",
    "command_topic": "porch/heater/set",
    "state_topic": "porch/heater/state",
    "device": {"identifiers": ["porch"], "name": "Porch"},
}


def encode(config: dict[str, Any]) -> bytes:
    return json.dumps(config).encode()


def payload(entity: Entity, action: Action, **params: Any) -> bytes:
    return render_command(entity, ActionRequest(entity.id, action, params))[1]


def test_zigbee2mqtt_light_is_named_without_underscores() -> None:
    light = entity_from_discovery("light", "light", encode(Z2M_LIGHT)).entity
    assert (light.id, light.name) == ("light.hallway_spots", "Hallway Spots")


def test_zigbee2mqtt_brightness_scale_254_is_respected() -> None:
    light = entity_from_discovery("light", "light", encode(Z2M_LIGHT)).entity
    full = json.loads(payload(light, Action.SET_BRIGHTNESS, brightness=100))
    assert full == {"state": "ON", "brightness": 254}


def test_zigbee2mqtt_colour_temperature_is_sent_in_mireds() -> None:
    light = entity_from_discovery("light", "light", encode(Z2M_LIGHT)).entity
    warm = json.loads(payload(light, Action.SET_COLOR_TEMP, kelvin=2700))
    assert warm == {"state": "ON", "color_temp": 370}


def test_zigbee2mqtt_xy_light_takes_colour_as_rgb() -> None:
    light = entity_from_discovery("light", "light", encode(Z2M_LIGHT)).entity
    red = json.loads(payload(light, Action.SET_COLOR, color="red"))
    assert red == {"state": "ON", "color": {"r": 255, "g": 0, "b": 0}}


def test_zigbee2mqtt_availability_needs_bridge_and_device() -> None:
    imported = entity_from_discovery("light", "light", encode(Z2M_LIGHT))
    topics = [(s.topic, s.key) for s in imported.availability.sources]
    assert (imported.availability.mode, topics) == (
        "all",
        [
            ("zigbee2mqtt/bridge/state", "state"),
            ("zigbee2mqtt/hallway_spots/availability", "state"),
        ],
    )


def test_tasmota_light_uses_its_own_topics_and_scale_100() -> None:
    light = entity_from_discovery("light", "DC4F22_LI_1", encode(TASMOTA_LIGHT)).entity
    assert light.mqtt is not None
    topic, dim, _ = render_command(
        light, ActionRequest(light.id, Action.SET_BRIGHTNESS, {"brightness": 40})
    )
    assert (topic, dim) == ("tasmota_DC4F22/cmnd/Dimmer", b"40")


def test_tasmota_light_colour_and_state() -> None:
    light = entity_from_discovery("light", "DC4F22_LI_1", encode(TASMOTA_LIGHT)).entity
    assert light.mqtt is not None
    assert payload(light, Action.SET_COLOR, color="blue") == b"0,0,255"
    assert (light.mqtt.state_topic, light.mqtt.state_key) == ("tasmota_DC4F22/tele/STATE", "POWER")


def test_tasmota_availability_payloads() -> None:
    source = entity_from_discovery("light", "x", encode(TASMOTA_LIGHT)).availability.sources[0]
    assert (source.topic, source.available, source.not_available) == (
        "tasmota_DC4F22/tele/LWT",
        "Online",
        "Offline",
    )


def test_esphome_json_light_keeps_the_default_255_scale() -> None:
    light = entity_from_discovery("light", "strip", encode(ESPHOME_LIGHT)).entity
    assert light.name == "Shelf strip"
    full = json.loads(payload(light, Action.SET_BRIGHTNESS, brightness=100))
    assert full["brightness"] == 255


@pytest.mark.parametrize(
    ("device", "name", "spoken"),
    [
        ("kitchen_ceiling", None, "Kitchen Ceiling"),
        ("Porch", "Heater", "Porch Heater"),
        ("Porch heater", "Porch heater switch", "Porch heater switch"),
        ("0x00158d0001a2b3c4", "Garden light", "Garden light"),
        ("Plug AA:BB:CC:DD:EE:FF", "relay_1", "Plug Relay 1"),
    ],
)
def test_spoken_names_are_device_plus_entity_without_ids(
    device: str, name: str | None, spoken: str
) -> None:
    config = {"name": name, "command_topic": "a/set", "device": {"name": device}}
    assert entity_from_discovery("switch", "x", encode(config)).entity.name == spoken


def test_humanize_titles_only_all_lower_case_names() -> None:
    assert (humanize("living_room_lamp"), humanize("TV backlight")) == (
        "Living Room Lamp",
        "TV backlight",
    )


def test_a_name_made_only_of_ids_is_rejected() -> None:
    config = {"name": None, "command_topic": "a/set", "device": {"name": "0x00158d0001a2b3c4"}}
    with pytest.raises(RejectedDiscoveryError, match="no name to say"):
        entity_from_discovery("switch", "0x00158d0001a2b3c4", encode(config))


def test_a_template_that_only_substitutes_is_translated() -> None:
    config = {
        "name": "Lamp",
        "command_topic": "lamp/set",
        "brightness_command_topic": "lamp/dim",
        "brightness_command_template": '{"dim": {{ value | int }}}',
    }
    lamp = entity_from_discovery("light", "lamp", encode(config)).entity
    assert payload(lamp, Action.SET_BRIGHTNESS, brightness=100) == b'{"dim": 255}'


def test_a_template_with_logic_leaves_the_capability_out() -> None:
    config = {
        "name": "Lamp",
        "command_topic": "lamp/set",
        "brightness_command_topic": "lamp/dim",
        "brightness_command_template": "{% if value > 10 %}{{ value }}{% endif %}",
    }
    imported = entity_from_discovery("light", "lamp", encode(config))
    assert (imported.entity.capabilities, len(imported.skipped)) == ([], 1)


def test_a_scale_edge_os_cannot_send_leaves_brightness_out() -> None:
    config = {**ESPHOME_LIGHT, "brightness_scale": 1000}
    imported = entity_from_discovery("light", "strip", encode(config))
    assert "brightness" not in imported.entity.capabilities


def test_a_template_light_with_plain_templates_is_imported() -> None:
    config = {
        "schema": "template",
        "name": "Bar lamp",
        "command_topic": "bar/set",
        "command_on_template": "{{ state }}",
        "command_off_template": "{{ state }}",
    }
    lamp = entity_from_discovery("light", "bar", encode(config)).entity
    assert (payload(lamp, Action.TURN_ON), payload(lamp, Action.TURN_OFF)) == (b"on", b"off")


def test_fan_percentage() -> None:
    config = {
        "name": "Ceiling fan",
        "command_topic": "fan/set",
        "percentage_command_topic": "fan/pct",
    }
    fan = entity_from_discovery("fan", "fan", encode(config)).entity
    assert payload(fan, Action.SET_PERCENTAGE, percentage=30) == b"30"


def test_cover_position_and_payloads() -> None:
    config = {
        "name": "Blind",
        "command_topic": "blind/set",
        "set_position_topic": "blind/position",
        "payload_open": "up",
        "device_class": "blind",
    }
    blind = entity_from_discovery("cover", "blind", encode(config)).entity
    assert (payload(blind, Action.OPEN), payload(blind, Action.SET_POSITION, position=25)) == (
        b"up",
        b"25",
    )


def test_a_garage_door_cover_stays_sensitive() -> None:
    config = {"name": "Garage door", "command_topic": "garage/set", "device_class": "garage"}
    assert entity_from_discovery("cover", "garage", encode(config)).entity.is_sensitive


def test_a_lock_needing_a_code_is_refused() -> None:
    config = {"name": "Door", "command_topic": "door/set", "code_format": "^\\d{4}$"}
    with pytest.raises(RejectedDiscoveryError, match="needs a code"):
        entity_from_discovery("lock", "door", encode(config))


def test_a_lock_is_imported_sensitive() -> None:
    config = {"name": "Shed lock", "command_topic": "shed/set"}
    lock = entity_from_discovery("lock", "shed", encode(config)).entity
    assert (lock.is_sensitive, payload(lock, Action.UNLOCK)) == (True, b"UNLOCK")


def test_a_zigbee2mqtt_thermostat_turns_on_by_mode_and_sets_temperature() -> None:
    config = {
        "name": None,
        "device": {"name": "bathroom_trv"},
        "mode_command_topic": "zigbee2mqtt/bathroom_trv/set/system_mode",
        "mode_state_topic": "zigbee2mqtt/bathroom_trv",
        "mode_state_template": "{{ value_json.system_mode }}",
        "modes": ["off", "heat"],
        "temperature_command_topic": "zigbee2mqtt/bathroom_trv/set/current_heating_setpoint",
    }
    trv = entity_from_discovery("climate", "climate", encode(config)).entity
    assert trv.mqtt is not None
    assert (payload(trv, Action.TURN_ON), payload(trv, Action.TURN_OFF)) == (b"heat", b"off")
    assert payload(trv, Action.SET_TEMPERATURE, temperature=21.5) == b"21.5"
    assert trv.mqtt.state_key == "system_mode"


def test_a_media_player_with_volume_and_pause() -> None:
    config = {
        "name": "Kitchen speaker",
        "command_topic": "speaker/set",
        "volume_command_topic": "speaker/volume",
        "payload_pause": "pause",
        "payload_play": "play",
    }
    speaker = entity_from_discovery("media_player", "speaker", encode(config)).entity
    assert set(speaker.capabilities) == {"volume", "pause"}
    assert payload(speaker, Action.PAUSE) == b"pause"


def test_diagnostic_sensors_are_left_out() -> None:
    config = {"name": "Linkquality", "state_topic": "z/x", "entity_category": "diagnostic"}
    with pytest.raises(RejectedDiscoveryError, match="diagnostic"):
        entity_from_discovery("sensor", "linkquality", encode(config))


GARBAGE = [
    (b"{nope", "not JSON"),
    (b"\xff\xfe", "not UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "more than"),
    (b"[" * 20_000 + b"]" * 20_000, "nested too deeply"),
    (b"[1, 2]", "expected a JSON object"),
    (b'{"name": "x", "command_topic": 5}', "command_topic: expected text"),
    (b'{"name": ["x"], "command_topic": "a/b"}', "name: expected text"),
    (b'{"name": "x", "command_topic": "a/b", "device": "dev"}', "device: expected an object"),
    (b'{"name": "x", "command_topic": "a/#"}', "not a topic"),
    (b'{"name": "x", "command_topic": "a", "availability": 3}', "availability"),
    (b'{"name": "x", "command_topic": "a", "payload_on": {"a": 1}}', "payload_on"),
    (
        b'{"name": "x", "command_topic": "a", "brightness_command_topic": "b", '
        b'"brightness_scale": "max"}',
        "brightness_scale",
    ),
    (b'{"name": "x", "command_topic": "a", "brightness_scale": NaN}', "NaN"),
    (b'{"name": "x", "state_topic": "a"}', "no command_topic"),
]


@pytest.mark.parametrize(("config", "why"), GARBAGE)
def test_garbage_configs_are_rejected_with_a_reason(config: bytes, why: str) -> None:
    component = "light" if b"brightness" in config else "switch"
    with pytest.raises(RejectedDiscoveryError, match=why):
        entity_from_discovery(component, "x", config)


def test_the_size_limit_is_above_zigbee2mqtts_largest_configs() -> None:
    assert MAX_CONFIG_BYTES >= 16384


# --- against a real broker -----------------------------------------------------------


@pytest.fixture
def config(mosquitto: EmbeddedBroker, tmp_path: Path) -> Config:
    return home_config(tmp_path, mosquitto, discovery={"import_entities": True})


@pytest.fixture
def driver(config: Config) -> Iterator[MqttDriver]:
    started = start_driver(config)
    yield started
    started.stop()


@pytest.fixture
def importer(config: Config, driver: MqttDriver) -> Iterator[DiscoveryImporter]:
    running = DiscoveryImporter(driver.connection, config, DeviceRegistry.from_config(config))
    running.start()
    driver.connection.wait_subscribed(5)
    yield running
    running.stop()


@pytest.fixture
def devices(mosquitto: EmbeddedBroker) -> Iterator[Subscriber]:
    """Zigbee2MQTT, Tasmota and the others: they announce, and receive commands."""
    client = Subscriber(mosquitto, "zigbee2mqtt/#", client_id="devices")
    yield client
    client.close()


def test_an_imported_light_is_driven_on_its_own_scale(
    importer: DiscoveryImporter, driver: MqttDriver, devices: Subscriber
) -> None:
    devices.publish(Z2M_TOPIC, encode(Z2M_LIGHT), retain=True)
    wait_until(lambda: "light.hallway_spots" in importer.imported, 5, "the import")
    registry = importer.registry()
    driver.add_entity(registry["light.hallway_spots"])
    dispatcher = Dispatcher(registry, mqtt=driver)
    request = ActionRequest("light.hallway_spots", Action.SET_BRIGHTNESS, {"brightness": 100})
    assert dispatcher.execute(request).status is OutcomeStatus.DONE
    sent = devices.wait_for(1, "zigbee2mqtt/hallway_spots/set")[0]
    assert json.loads(sent.payload) == {"state": "ON", "brightness": 254}


def test_imported_entities_are_marked_and_placed_in_their_area(
    importer: DiscoveryImporter, devices: Subscriber
) -> None:
    devices.publish(Z2M_TOPIC, encode(Z2M_LIGHT), retain=True)
    wait_until(lambda: len(importer.imported) == 1, 5, "the import")
    registry = importer.registry()
    assert (registry.imported, registry["light.hallway_spots"].area) == (
        frozenset({"light.hallway_spots"}),
        "hallway",
    )


def test_garbage_is_ignored_logged_once_per_topic_and_adds_nothing(
    importer: DiscoveryImporter,
    driver: MqttDriver,
    devices: Subscriber,
    caplog: pytest.LogCaptureFixture,
) -> None:
    topics = [
        f"homeassistant/{'light' if b'brightness' in config else 'switch'}/junk/j{i}/config"
        for i, (config, _) in enumerate(GARBAGE)
    ]
    with caplog.at_level(logging.WARNING, logger="edge_os.drivers.discovery.importer"):
        for _ in range(3):  # the same garbage again and again
            for topic, (config, _) in zip(topics, GARBAGE, strict=True):
                devices.publish(topic, config)
        wait_until(lambda: importer.rejected == 3 * len(GARBAGE), 10, "every rejection")
    warned = [r.getMessage().split()[2].rstrip(":") for r in caplog.records]
    assert sorted(warned) == sorted(topics)  # once per topic
    assert all(record.exc_info is None for record in caplog.records)
    assert importer.imported == {}
    devices.publish(topics[0], encode(PORCH_HEATER))  # the same topic, now valid
    wait_until(lambda: "switch.porch_heater" in importer.imported, 5, "a good config")
    assert driver.connection.connected


def test_declared_entities_win_over_imported_ones(
    importer: DiscoveryImporter, devices: Subscriber, caplog: pytest.LogCaptureFixture
) -> None:
    same_id = {**Z2M_LIGHT, "object_id": "kitchen_ceiling", "name": "Other"}
    same_name = {"name": "Coffee machine", "command_topic": "other/coffee/set"}
    with caplog.at_level(logging.WARNING, logger="edge_os.drivers.discovery.importer"):
        devices.publish("homeassistant/light/a/light/config", encode(same_id))
        devices.publish("homeassistant/switch/b/switch/config", encode(same_name))
        devices.publish("homeassistant/switch/porch/heater/config", encode(PORCH_HEATER))
        wait_until(lambda: "switch.porch_heater" in importer.imported, 5, "the porch heater")
    assert set(importer.imported) == {"switch.porch_heater"}
    assert sum("keeping that one" in r.getMessage() for r in caplog.records) == 2


def test_an_empty_config_removes_the_imported_entity(
    importer: DiscoveryImporter, devices: Subscriber
) -> None:
    devices.publish("homeassistant/switch/porch/heater/config", encode(PORCH_HEATER), retain=True)
    wait_until(lambda: "switch.porch_heater" in importer.imported, 5, "the import")
    devices.publish("homeassistant/switch/porch/heater/config", b"", retain=True)
    wait_until(lambda: importer.imported == {}, 5, "the removal")
    assert "switch.porch_heater" not in importer.registry()


def test_a_device_that_says_it_is_offline_is_refused(
    importer: DiscoveryImporter, driver: MqttDriver, devices: Subscriber
) -> None:
    devices.publish("zigbee2mqtt/bridge/state", '{"state": "online"}', retain=True)
    devices.publish("zigbee2mqtt/hallway_spots/availability", '{"state": "offline"}', retain=True)
    devices.publish(Z2M_TOPIC, encode(Z2M_LIGHT))
    wait_until(lambda: importer.available("light.hallway_spots") is False, 5, "offline")
    registry = importer.registry()
    driver.add_entity(registry["light.hallway_spots"])
    dispatcher = Dispatcher(registry, mqtt=driver, availability=importer.available)
    outcome = dispatcher.execute(ActionRequest("light.hallway_spots", Action.TURN_ON))
    assert (outcome.status, outcome.reason) == (
        OutcomeStatus.FAILED,
        "Hallway Spots is offline (its device says so)",
    )
    devices.publish("zigbee2mqtt/hallway_spots/availability", '{"state": "online"}', retain=True)
    wait_until(lambda: importer.available("light.hallway_spots") is True, 5, "online again")


def test_saved_imports_reach_commands_run_beside_the_service(
    importer: DiscoveryImporter, config: Config, devices: Subscriber
) -> None:
    devices.publish("homeassistant/switch/porch/heater/config", encode(PORCH_HEATER))
    wait_until(lambda: len(importer.imported) == 1, 5, "the import")
    importer.save(cache_path(config))
    registry = registry_with_imports(config)
    assert (registry.imported, len(registry)) == (frozenset({"switch.porch_heater"}), 18)


def test_devices_list_marks_imported_entities(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    path = tmp_path / "home.yaml"
    path.write_text(
        EXAMPLE_HOME.read_text(encoding="utf-8")
        + f"\nstate_dir: {state}\nmqtt:\n  discovery:\n    import_entities: true\n",
        encoding="utf-8",
    )
    cache = state / "discovery" / "imported.json"
    cache.parent.mkdir(parents=True)
    configs = {"homeassistant/switch/porch/heater/config": PORCH_HEATER}
    cache.write_text(json.dumps({"configs": configs}), encoding="utf-8")
    assert main(["--config", str(path), "devices", "list", "--json", "--domain", "switch"]) == 0
    listed = {item["id"]: item["imported"] for item in json.loads(capsys.readouterr().out)}
    assert (listed["switch.porch_heater"], listed["switch.coffee_machine"]) == (True, False)
    assert main(["--config", str(path), "devices", "list", "--domain", "switch"]) == 0
    heater = next(line for line in capsys.readouterr().out.splitlines() if "porch" in line)
    assert heater.endswith("porch/heater/set (imported)")
