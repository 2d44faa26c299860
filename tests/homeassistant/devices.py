"""Devices that announce themselves to Home Assistant over MQTT discovery, as theirs do.

A Zigbee2MQTT light (JSON schema, ``brightness_scale: 254``, colour temperature, the
bridge's availability, its friendly name ``kitchen_light`` with an underscore), a
Tasmota-style switch (abbreviated keys, ``~``, a ``{{ value_json.POWER }}`` state) and a
plain Tasmota relay that only edge-os's config declares. Each answers its commands with
its new state, like the firmware does, so Home Assistant's state follows.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import paho.mqtt.client as mqtt

from edge_os.drivers.mqtt.broker import EmbeddedBroker

Z2M_LIGHT_TOPIC = "homeassistant/light/0x00158d0001a2b3c4/light/config"
Z2M_LIGHT = {
    "name": None,  # Zigbee2MQTT's main entity: Home Assistant names it after the device
    "object_id": "kitchen_light",
    "unique_id": "0x00158d0001a2b3c4_light_zigbee2mqtt",
    "schema": "json",
    "command_topic": "zigbee2mqtt/kitchen_light/set",
    "state_topic": "zigbee2mqtt/kitchen_light",
    "brightness": True,
    "brightness_scale": 254,
    "color_mode": True,  # HA 2024.3 wants it next to supported_color_modes
    "supported_color_modes": ["color_temp"],
    "min_mireds": 250,
    "max_mireds": 454,
    "availability": [
        {"topic": "zigbee2mqtt/bridge/state", "value_template": "{{ value_json.state }}"}
    ],
    "device": {
        "identifiers": ["zigbee2mqtt_0x00158d0001a2b3c4"],
        "name": "kitchen_light",
        "manufacturer": "IKEA",
        "model": "TRADFRI bulb E27 WS opal 980lm (LED1545G12)",
        "suggested_area": "Kitchen",
        "via_device": "zigbee2mqtt_bridge_0x00124b0022813501",
    },
    "origin": {"name": "Zigbee2MQTT", "sw": "1.36.0", "url": "https://www.zigbee2mqtt.io"},
}
TASMOTA_SWITCH_TOPIC = "homeassistant/switch/A1B2C3_RL_1/config"
TASMOTA_SWITCH = {
    "~": "tasmota/porch/",
    "name": "Heater",
    "cmd_t": "~cmnd/POWER",
    "stat_t": "~tele/STATE",
    "val_tpl": "{{ value_json.POWER }}",
    "pl_on": "ON",
    "pl_off": "OFF",
    "avty_t": "~tele/LWT",
    "pl_avail": "Online",
    "pl_not_avail": "Offline",
    "uniq_id": "A1B2C3_RL_1",
    "dev": {"ids": ["A1B2C3"], "name": "Porch", "mdl": "Sonoff Basic", "sa": "Garden"},
}
KITCHEN_LIGHT = "light.kitchen_light"
"""The Zigbee2MQTT light's entity in Home Assistant."""
PORCH_HEATER = "switch.porch_heater"
"""The Tasmota switch's entity in Home Assistant."""
COUNTER_LIGHTS = "cmnd/kitchen_counter/POWER"
"""The counter lights' command topic: declared in edge-os's config, unknown to HA."""


class AnnouncingDevices:
    """One MQTT client standing in for the devices; records every command they get."""

    def __init__(self, broker: EmbeddedBroker) -> None:
        self.commands: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self._light: dict[str, Any] = {"state": "OFF", "brightness": 0, "color_temp": 370}
        self._ready = threading.Event()
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id="devices",
            protocol=mqtt.MQTTv311,
        )
        self.client.will_set("tasmota/porch/tele/LWT", "Offline", qos=1, retain=True)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self._ready.set()
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        if not self._ready.wait(5):
            raise AssertionError("the device stand-ins could not subscribe")

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        client.subscribe(
            [
                ("zigbee2mqtt/kitchen_light/set", 1),
                ("tasmota/porch/cmnd/POWER", 1),
                (COUNTER_LIGHTS, 1),
            ]
        )
        client.publish("zigbee2mqtt/bridge/state", '{"state": "online"}', qos=1, retain=True)
        client.publish("tasmota/porch/tele/LWT", "Online", qos=1, retain=True)
        client.publish("zigbee2mqtt/kitchen_light", json.dumps(self._light), qos=1, retain=True)
        client.publish("tasmota/porch/tele/STATE", '{"POWER": "OFF"}', qos=1, retain=True)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        payload = bytes(message.payload)
        with self._lock:
            self.commands.append((message.topic, payload))
        if message.topic == "zigbee2mqtt/kitchen_light/set":
            try:
                change = json.loads(payload)
            except ValueError:
                return  # the firmware ignores it too
            if isinstance(change, dict):
                self._light.update(change)
                state = json.dumps(self._light)
                client.publish("zigbee2mqtt/kitchen_light", state, qos=1, retain=True)
        elif message.topic == "tasmota/porch/cmnd/POWER":
            power = payload.decode(errors="replace").strip().upper()
            if power in ("ON", "OFF"):
                state = json.dumps({"POWER": power})
                client.publish("tasmota/porch/tele/STATE", state, qos=1, retain=True)

    def received(self, topic: str) -> list[bytes]:
        """Payloads of the commands that arrived on ``topic``."""
        with self._lock:
            return [payload for got, payload in self.commands if got == topic]

    def announce(self) -> None:
        """Publish both discovery configs, retained, as the firmware does at start."""
        for topic, config in ((Z2M_LIGHT_TOPIC, Z2M_LIGHT), (TASMOTA_SWITCH_TOPIC, TASMOTA_SWITCH)):
            self.client.publish(topic, json.dumps(config), qos=1, retain=True).wait_for_publish(5)

    def publish(self, topic: str, payload: str, retain: bool = False) -> None:
        """Publish as another client on the broker (QoS 1)."""
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(5)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()
