"""The doctor's checks of the machine: the last wake, GPIO, memory and disk, the unit."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from edge_os.cli import doctor_host
from edge_os.config.loader import load_config
from edge_os.config.settings import Config
from tests.conftest import EXAMPLE_HOME


def _config(tmp_path: Path) -> Config:
    path = tmp_path / "home.yaml"
    path.write_text(
        EXAMPLE_HOME.read_text(encoding="utf-8") + f"state_dir: {tmp_path / 'state'}\n",
        encoding="utf-8",
    )
    return load_config(path)


def _status(config: Config, **fields: object) -> None:
    config.state_dir.mkdir(parents=True, exist_ok=True)
    status = {"pid": os.getpid(), "updated": time.time(), "uptime_seconds": 60, **fields}
    (config.state_dir / "status.json").write_text(json.dumps(status), encoding="utf-8")


def test_the_last_wake_is_read_from_the_running_service(tmp_path: Path) -> None:
    config = _config(tmp_path)
    assert doctor_host.last_wake(config).status == "OK"  # not running: nothing to ask
    _status(config, metrics={"wakes": 3, "last_wake_unix": time.time() - 600})
    check = doctor_host.last_wake(config)
    assert check.status == "OK" and "last heard 10 min ago (3 since the start)" in check.message
    _status(config, uptime_seconds=7200, metrics={"wakes": 0, "last_wake_unix": None})
    check = doctor_host.last_wake(config)
    assert check.status == "WARN" and "no wake word heard in 120 min" in check.message
    _status(config, updated=time.time() - 60)
    assert doctor_host.last_wake(config).status == "WARN"  # stale: not running


def test_gpio_memory_disk_and_unit_say_what_they_found(tmp_path: Path) -> None:
    config = _config(tmp_path)
    gpio = doctor_host.gpio(config)  # the example home has a GPIO light and two buttons
    if doctor_host.GPIO_CHIP.exists():
        assert gpio.status in {"OK", "FAIL"}
    else:
        assert (gpio.status, "MockFactory" in gpio.message) == ("OK", True)
    resources = doctor_host.resources(config)
    assert resources.status in {"OK", "WARN"} and "MB memory available" in resources.message
    service = doctor_host.service(config)
    assert service.status in {"OK", "WARN", "FAIL"} and service.message
