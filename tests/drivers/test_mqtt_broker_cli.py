"""The embedded broker, and ``edge-os devices test`` end to end."""

from __future__ import annotations

import json
import socket
import sqlite3
from pathlib import Path

import pytest

from edge_os.cli.main import main
from edge_os.config.loader import load_config
from edge_os.drivers.mqtt import broker as broker_module
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.errors import DeviceError
from tests.drivers.helpers import start_driver
from tests.mqtt_broker import Subscriber


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_embedded_broker_starts_restarts_on_the_same_port_and_stops() -> None:
    broker = EmbeddedBroker()
    with broker:
        assert broker.running and _accepts(broker.port)
        port = broker.port
        broker.stop(kill=True)
        assert not broker.running and not _accepts(port)
        broker.start()
        assert broker.port == port and _accepts(port)
    assert not broker.running and not _accepts(port)


def test_missing_mosquitto_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(broker_module.shutil, "which", lambda name: None)
    monkeypatch.setattr(broker_module, "MOSQUITTO_PATHS", ())
    with pytest.raises(DeviceError, match=r"mosquitto is not installed: install it with"):
        EmbeddedBroker().start()


def _config(tmp_path: Path, mqtt: str) -> Path:
    path = tmp_path / "home.yaml"
    path.write_text(
        f"state_dir: {tmp_path / 'state'}\n{mqtt}"
        "entities:\n"
        "  - {id: light.hall, name: Hall, capabilities: [brightness],"
        " mqtt: {command_topic: hall/set, payloads: {set_brightness: 'B{{ brightness_255 }}'}}}\n"
        "  - {id: lock.door, name: Door, mqtt: {command_topic: door/set}}\n"
        "  - {id: light.desk, name: Desk, capabilities: [brightness],"
        " gpio: {pin: 18, kind: PWMLED}}\n",
        encoding="utf-8",
    )
    return path


def test_devices_test_sends_through_the_dispatcher(
    mosquitto: EmbeddedBroker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, f"mqtt: {{host: 127.0.0.1, port: {mosquitto.port}}}\n")
    hall = Subscriber(mosquitto, "+/set")
    argv = ["-c", str(config), "devices", "test", "light.hall", "--action", "set_brightness"]
    assert main([*argv, "--param", "brightness=40", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["status"], result["params"], result["reason"]) == (
        "done",
        {"brightness": 40},
        None,
    )
    assert hall.wait_for(1, "hall/set")[0].payload == b"B102"
    assert main(["-c", str(config), "devices", "test", "lock.door"]) == 2
    assert capsys.readouterr().out.strip() == (
        "lock.door lock: needs-confirmation (Door is a sensitive device: say yes to confirm)"
    )
    assert main(["-c", str(config), "devices", "test", "lock.door", "--yes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "done"
    assert [m.topic for m in hall.wait_for(2)] == ["hall/set", "door/set"]
    hall.close()


def test_devices_test_refusals_and_gpio(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = str(_config(tmp_path, ""))
    assert main(["-c", config, "devices", "test", "light.attic", "--json"]) == 2
    assert json.loads(capsys.readouterr().out)["reason"] == "there is no device 'light.attic'"
    assert main(["-c", config, "devices", "test", "light.hall", "--action", "lock"]) == 2
    assert "Hall cannot lock" in capsys.readouterr().out
    argv = ["-c", config, "devices", "test", "light.desk", "--action", "set_brightness"]
    assert main([*argv, "--param", "brightness=30", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "done"
    assert main(["-c", config, "devices", "test", "light.hall", "--param", "oops"]) == 2
    assert "expected KEY=VALUE" in capsys.readouterr().err


def test_devices_test_on_the_embedded_default_broker(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(_config(tmp_path, ""))  # mqtt.host is null: edge-os starts its own broker
    # the broker answers (MQTT 5), but no device is subscribed there: not "done"
    assert main(["-c", config, "devices", "test", "light.hall", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "failed"
    assert result["reason"].startswith("no device is listening on hall/set yet; given up")


def test_cli_commands_leave_the_running_service_alone(
    mosquitto: EmbeddedBroker, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(tmp_path, f"mqtt: {{host: 127.0.0.1, port: {mosquitto.port}}}\n")
    service = start_driver(load_config(config))  # what `edge-os run` holds
    hall = Subscriber(mosquitto, "hall/set")
    try:
        assert main(["-c", str(config), "devices", "test", "light.hall", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["status"] == "done"
        assert main(["-c", str(config), "say", "turn on the hall", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["outcomes"][0]["status"] == "done"
        assert [m.topic for m in hall.wait_for(2)] == ["hall/set", "hall/set"]
        # same client id would have knocked the service off the broker; same queue would
        # have handed it the CLI's commands
        assert service.connection.connected and service.connection.connects == 1
        with sqlite3.connect(service.queue.path) as db:
            assert db.execute("SELECT COUNT(*) FROM commands").fetchone() == (0,)
    finally:
        hall.close()
        service.stop()
