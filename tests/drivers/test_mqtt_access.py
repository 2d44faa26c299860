"""``edge-os systemd install --secure-broker`` against a real Mosquitto.

The logins and ACL it writes are loaded by Mosquitto as Debian's would load them (the
snippet, with its paths under the test's root). Anonymous clients are refused, each user
reaches only its own topics, and ``edge-os say`` logs in as edge-os and commands a light.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from edge_os.drivers.mqtt.broker import EmbeddedBroker
from tests.conftest import EXAMPLE_HOME, REPO
from tests.waiting import wait_until

CONF_D = "/etc/mosquitto/conf.d"


class SharedBroker(EmbeddedBroker):
    """Mosquitto with the snippet edge-os wrote (its paths moved under ``root``)."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def config_text(self) -> str:
        snippet = (self.root / CONF_D.lstrip("/") / "edge-os.conf").read_text(encoding="utf-8")
        base = super().config_text().replace("allow_anonymous true\n", "")
        return base + snippet.replace(CONF_D, str(self.root / CONF_D.lstrip("/")))


class Client:
    """A paho MQTT 5 client logged in as ``user`` (None: anonymous), recording messages."""

    def __init__(self, broker: EmbeddedBroker, user: str | None, password: str | None) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.connected = threading.Event()
        self.refused: Any = None
        self._lock = threading.Lock()
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"access-{user}",
            protocol=mqtt.MQTTv5,
        )
        if user is not None:
            self.client.username_pw_set(user, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        wait_until(
            lambda: self.connected.is_set() or self.refused is not None, 5, "the broker's CONNACK"
        )

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self.refused = reason
            client.disconnect()
        else:
            self.connected.set()

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        with self._lock:
            self.messages.append((message.topic, bytes(message.payload)))

    def subscribe(self, topic: str) -> None:
        done = threading.Event()
        self.client.on_subscribe = lambda *args: done.set()
        self.client.subscribe(topic, qos=1)
        assert done.wait(5)

    def publish(self, topic: str, payload: str) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def got(self, topic: str) -> list[bytes]:
        with self._lock:
            return [payload for t, payload in self.messages if t == topic]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _password(root: Path, path: str) -> str:
    return (root / path.lstrip("/")).read_text(encoding="utf-8").strip()


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    config = root / "etc/edge-os/config.yaml"
    config.parent.mkdir(parents=True)
    config.write_text(EXAMPLE_HOME.read_text(encoding="utf-8"), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "edge_os", "systemd", "install", "--root", str(root),
         "--secure-broker", "--exec", "/usr/bin/edge-os"],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "password of MQTT user 'homeassistant'" in done.stdout
    return root


def test_each_user_reaches_only_its_own_topics(installed: Path) -> None:
    root = installed
    for name in ("edge-os.passwd", "edge-os.acl", "homeassistant.password", "devices.password"):
        assert (root / CONF_D.lstrip("/") / name).stat().st_mode & 0o777 == 0o600
    assert (root / "etc/edge-os/mqtt.password").stat().st_mode & 0o777 == 0o600
    with SharedBroker(root) as broker:
        anonymous = Client(broker, None, None)
        guess = Client(broker, "edge-os", "not-the-password")
        assert anonymous.refused is not None and guess.refused is not None
        edge = Client(broker, "edge-os", _password(root, "/etc/edge-os/mqtt.password"))
        home = Client(broker, "homeassistant", _password(root, f"{CONF_D}/homeassistant.password"))
        device = Client(broker, "devices", _password(root, f"{CONF_D}/devices.password"))
        try:
            assert edge.connected.is_set() and home.connected.is_set()
            assert device.connected.is_set()
            edge.subscribe("#")
            device.subscribe("zigbee2mqtt/#")
            device.publish("edge_os/home/command", "unlock the front door")  # not its topic
            device.publish("zigbee2mqtt/kitchen_ceiling", '{"state": "ON"}')
            home.publish("edge_os/home/command", "turn on the kitchen light")
            edge.publish("zigbee2mqtt/kitchen_ceiling/set", '{"state": "OFF"}')
            edge.publish("zigbee2mqtt/unknown_device/set", '{"state": "OFF"}')  # undeclared
            wait_until(lambda: device.got("zigbee2mqtt/kitchen_ceiling/set") != [], 10, "edge")
            wait_until(lambda: edge.got("zigbee2mqtt/kitchen_ceiling") != [], 10, "the device")
            wait_until(lambda: edge.got("edge_os/home/command") != [], 10, "the home")
            time.sleep(0.5)  # what is refused would have come now
            assert edge.got("edge_os/home/command") == [b"turn on the kitchen light"]
            assert edge.got("zigbee2mqtt/kitchen_ceiling") == [b'{"state": "ON"}']
            assert device.got("zigbee2mqtt/kitchen_ceiling/set") == [b'{"state": "OFF"}']
            assert device.got("zigbee2mqtt/unknown_device/set") == []
        finally:
            for client in (anonymous, guess, edge, home, device):
                client.close()


def test_say_logs_in_as_edge_os_and_commands_a_device(installed: Path) -> None:
    root = installed
    config = root / "etc/edge-os/config.yaml"
    password = root / "etc/edge-os/mqtt.password"
    with SharedBroker(root) as broker:
        text = config.read_text(encoding="utf-8").replace(
            "password_file: /etc/edge-os/mqtt.password",
            f"password_file: {password}\n  host: {broker.host}\n  port: {broker.port}",
        )
        text = text.replace("state_dir: /var/lib/edge-os", f"state_dir: {root / 'state'}")
        config.write_text(text, encoding="utf-8")
        device = Client(broker, "devices", _password(root, f"{CONF_D}/devices.password"))
        device.subscribe("zigbee2mqtt/#")
        try:
            done = subprocess.run(
                [sys.executable, "-m", "edge_os", "-c", str(config), "say",
                 "turn on the kitchen light", "--json"],
                cwd=REPO, capture_output=True, text=True, check=False, timeout=120,
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
            assert [o["status"] for o in json.loads(done.stdout)["outcomes"]] == ["done"]
            assert device.got("zigbee2mqtt/kitchen_ceiling/set") == [b'{"state": "ON"}']
        finally:
            device.close()


def test_running_it_again_keeps_the_passwords(installed: Path) -> None:
    before = _password(installed, f"{CONF_D}/homeassistant.password")
    subprocess.run(
        [sys.executable, "-m", "edge_os", "systemd", "install", "--root", str(installed),
         "--secure-broker", "--exec", "/usr/bin/edge-os"],
        cwd=REPO, capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    assert _password(installed, f"{CONF_D}/homeassistant.password") == before
