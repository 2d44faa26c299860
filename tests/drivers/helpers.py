"""Configs and drivers for the action tests, wired to a real broker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edge_os.config.loader import load_config
from edge_os.config.settings import Config
from edge_os.devices.registry import DeviceRegistry
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.drivers.mqtt.driver import MqttDriver
from tests.conftest import EXAMPLE_HOME


def home_config(tmp_path: Path, broker: EmbeddedBroker | None = None, **mqtt: Any) -> Config:
    """The example home, pointed at ``broker`` with its queue under ``tmp_path``."""
    base = load_config(EXAMPLE_HOME)
    settings: dict[str, Any] = {
        "queue_dir": tmp_path / "queue",
        "ack_timeout_seconds": 5.0,
        "reconnect_max_seconds": 0.5,
        **mqtt,
    }
    if broker is not None:
        settings.setdefault("host", broker.host)
        settings.setdefault("port", broker.port)
    data = base.model_dump(mode="python", exclude_unset=True)
    data["mqtt"] = {**data.get("mqtt", {}), **settings}
    data["state_dir"] = tmp_path / "state"
    return Config.model_validate(data, context={"base_dir": tmp_path})


def start_driver(config: Config, wait_seconds: float = 5.0) -> MqttDriver:
    """A started driver for every MQTT entity of ``config``."""
    driver = MqttDriver.from_config(config, DeviceRegistry.from_config(config))
    driver.start(wait_seconds)
    return driver


def broker_pid(broker: EmbeddedBroker) -> int:
    """The broker's process id: tests signal the real process, as a power cut would."""
    process = broker._process
    assert process is not None
    return process.pid
