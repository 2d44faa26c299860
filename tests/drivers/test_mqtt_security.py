"""TLS with a generated CA and password logins, against a real Mosquitto."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from edge_os.devices.entity import Action
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.errors import DeviceError, ErrorCode
from edge_os.stages.outcome import ActionRequest, OutcomeStatus
from tests.drivers.helpers import home_config, start_driver
from tests.mqtt_broker import broker_tls, make_password_file, make_tls_files
from tests.waiting import wait_until

TURN_ON = ActionRequest("switch.coffee_machine", Action.TURN_ON)
TOPIC = "cmnd/coffee_machine/POWER"


class _Device:
    """The coffee machine: a TLS or password client subscribed to its command topic."""

    def __init__(self, broker: EmbeddedBroker, **login: Any) -> None:
        self.got: list[bytes] = []
        self.subscribed = threading.Event()
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id="coffee"
        )
        if "username" in login:
            self.client.username_pw_set(login["username"], login["password"])
        if "ca_certs" in login:
            self.client.tls_set(
                ca_certs=login["ca_certs"], certfile=login["certfile"], keyfile=login["keyfile"]
            )
        self.client.on_connect = lambda client, *args: client.subscribe(TOPIC, qos=1)
        self.client.on_subscribe = lambda *args: self.subscribed.set()
        self.client.on_message = lambda client, userdata, message: self.got.append(message.payload)
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()
        assert self.subscribed.wait(5), "the device could not subscribe"

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def tls_broker(tls_files: dict[str, Path]) -> Iterator[EmbeddedBroker]:
    with EmbeddedBroker(tls=broker_tls(tls_files, require_client_cert=True)) as broker:
        yield broker


def test_tls_with_client_certificate(
    tls_broker: EmbeddedBroker, tls_files: dict[str, Path], tmp_path: Path
) -> None:
    tls = {
        "enabled": True,
        "ca_file": tls_files["ca"],
        "cert_file": tls_files["client"],
        "key_file": tls_files["client_key"],
    }
    device = _Device(
        tls_broker,
        ca_certs=str(tls_files["ca"]),
        certfile=str(tls_files["client"]),
        keyfile=str(tls_files["client_key"]),
    )
    driver = start_driver(home_config(tmp_path, tls_broker, tls=tls))
    try:
        assert driver.connection.connected
        assert driver.execute(TURN_ON).status is OutcomeStatus.DONE
    finally:
        driver.stop()
        device.close()


def test_tls_with_an_unknown_ca_is_a_clear_error(
    tls_broker: EmbeddedBroker, tls_files: dict[str, Path], tmp_path: Path
) -> None:
    tls = {
        "enabled": True,
        "ca_file": tls_files["rogue_ca"],
        "cert_file": tls_files["client"],
        "key_file": tls_files["client_key"],
    }
    with pytest.raises(DeviceError) as caught:
        start_driver(home_config(tmp_path, tls_broker, tls=tls))
    assert caught.value.code is ErrorCode.MQTT_FAILED
    assert f"TLS handshake with 127.0.0.1:{tls_broker.port} failed" in caught.value.message
    assert "certificate verify failed" in caught.value.message


def test_tls_without_the_required_client_certificate_does_not_connect(
    tls_broker: EmbeddedBroker, tls_files: dict[str, Path], tmp_path: Path
) -> None:
    tls = {"enabled": True, "ca_file": tls_files["ca"]}
    # TLS 1.3: the broker checks the client certificate after the handshake and hangs up
    driver = start_driver(home_config(tmp_path, tls_broker, tls=tls), wait_seconds=1.0)
    try:
        assert not driver.connection.connected
        assert "closed the connection before accepting the login" in (
            driver.connection.last_error or ""
        )
        assert "client certificate" in (driver.connection.last_error or "")
        assert driver.execute(TURN_ON).status is OutcomeStatus.QUEUED
    finally:
        driver.stop()


@pytest.fixture
def password_broker(tmp_path: Path) -> Iterator[EmbeddedBroker]:
    passwords = make_password_file(tmp_path, "edge", "s3cret")
    with EmbeddedBroker(password_file=passwords) as broker:
        yield broker


@pytest.mark.parametrize("protocol", ["5", "3.1.1"])
def test_bad_credentials_are_a_clear_error(
    password_broker: EmbeddedBroker, tmp_path: Path, protocol: str
) -> None:
    config = home_config(
        tmp_path, password_broker, username="edge", password="wrong", protocol=protocol
    )
    with pytest.raises(DeviceError) as caught:
        start_driver(config)
    message = caught.value.message
    assert message.startswith(
        f"broker 127.0.0.1:{password_broker.port} refused the login of user 'edge': "
    )
    assert "check mqtt.username, mqtt.password or mqtt.password_file" in message


def test_password_file_logs_in(password_broker: EmbeddedBroker, tmp_path: Path) -> None:
    secret = tmp_path / "mqtt-password"
    secret.write_text("s3cret\n", encoding="utf-8")
    config = home_config(tmp_path, password_broker, username="edge", password_file=secret)
    device = _Device(password_broker, username="edge", password="s3cret")
    driver = start_driver(config)
    try:
        assert driver.execute(TURN_ON).status is OutcomeStatus.DONE
        wait_until(lambda: device.got == [b"ON"], 5, "the command at the device")
    finally:
        driver.stop()
        device.close()


def _connack(broker: EmbeddedBroker, **login: str) -> str:
    """What the broker answers a client logging in with ``login`` (or anonymously)."""
    answered = threading.Event()
    reason: list[str] = []
    client = mqtt.Client(
        callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
        client_id="a-stranger",
        protocol=mqtt.MQTTv5,
    )
    if login:
        client.username_pw_set(login["username"], login["password"])

    def on_connect(_client: Any, _userdata: Any, _flags: Any, code: Any, _props: Any) -> None:
        reason.append(str(code))
        answered.set()

    client.on_connect = on_connect
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        assert answered.wait(5), "no CONNACK"
    finally:
        client.loop_stop()
        client.disconnect()
    return reason[0]


def test_edge_os_own_broker_refuses_clients_without_its_login(tmp_path: Path) -> None:
    """With mqtt.host null, edge-os's Mosquitto takes only the login it made at start: a
    client without it can neither command nor confirm anything."""
    from edge_os.drivers.mqtt.driver import open_mqtt

    config = home_config(tmp_path, host=None)
    with open_mqtt(config, config.entities) as driver:
        broker = driver.broker
        assert broker is not None and broker.private and driver.connection.connected
        assert _connack(broker) == "Not authorized"
        assert _connack(broker, username="edge-os", password="guess") == "Not authorized"
        assert (
            _connack(broker, username=broker.username or "", password=broker.password or "")
            == "Success"
        )
        passwd = broker.folder / "passwd"
        assert passwd.stat().st_mode & 0o777 == 0o600
        assert (broker.password or "") not in passwd.read_text()  # kept hashed
