"""A real Home Assistant 2024.3.3 next to edge-os, all on loopback.

Home Assistant runs from its own cached virtual environment (``tests/.ha-venv/``), is
onboarded and gets the MQTT integration (on this module's Mosquitto) and the Wyoming
integration (on ``edge-os wyoming``) through its REST API, as a user's browser would.

Every test here carries the ``homeassistant`` marker. ``EDGE_OS_SKIP_HA=1`` skips them
(``-m "not homeassistant"`` deselects them); so does a machine where Home Assistant cannot be
installed, with pip's reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from edge_os.drivers.mqtt.broker import EmbeddedBroker
from tests.homeassistant import install
from tests.homeassistant.devices import KITCHEN_LIGHT, PORCH_HEATER, AnnouncingDevices
from tests.homeassistant.edge import EdgeOsRun, WyomingServer, write_config
from tests.homeassistant.hass import HomeAssistant
from tests.waiting import wait_until


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With EDGE_OS_SKIP_HA=1, skip every test marked ``homeassistant``, saying so."""
    if os.environ.get("EDGE_OS_SKIP_HA", "") in ("", "0"):
        return
    skip = pytest.mark.skip(reason="EDGE_OS_SKIP_HA is set: the real Home Assistant is skipped")
    for item in items:
        if item.get_closest_marker("homeassistant") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def ha_python(request: pytest.FixtureRequest) -> Path:
    """Home Assistant's Python, installed on first use (or skip, saying why)."""
    try:
        installed = install.ensure()
    except install.NotInstallableError as err:
        pytest.skip(f"Home Assistant {install.VERSION} cannot be installed here: {err}")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        how = "reused" if installed.reused else f"installed in {installed.seconds:.0f} s"
        reporter.write_line(
            f"homeassistant=={install.VERSION}: {how} ({installed.python.parents[1]})"
        )
    return installed.python


@pytest.fixture(scope="module")
def broker() -> Iterator[EmbeddedBroker]:
    """The Mosquitto Home Assistant, edge-os and the devices share."""
    with EmbeddedBroker() as running:
        yield running


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Configs, state and logs of this module's processes."""
    return tmp_path_factory.mktemp("real-ha")


@pytest.fixture(scope="module")
def edge_config(folder: Path, broker: EmbeddedBroker) -> Path:
    """edge-os's config file."""
    return write_config(folder, broker)


@pytest.fixture(scope="module")
def devices(broker: EmbeddedBroker) -> Iterator[AnnouncingDevices]:
    """The Zigbee2MQTT light and the Tasmota switch, announced; the counter lights."""
    running = AnnouncingDevices(broker)
    running.announce()
    yield running
    running.close()


@pytest.fixture(scope="module")
def wyoming(edge_config: Path, folder: Path) -> Iterator[WyomingServer]:
    """``edge-os wyoming`` on loopback."""
    server = WyomingServer(edge_config, folder / "wyoming.log")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def hass(
    ha_python: Path,
    folder: Path,
    broker: EmbeddedBroker,
    wyoming: WyomingServer,
    devices: AnnouncingDevices,
) -> Iterator[HomeAssistant]:
    """Home Assistant, onboarded, with the MQTT and Wyoming integrations added."""
    home = HomeAssistant(ha_python, folder / "ha-config")
    home.start()
    try:
        home.onboard()
        mqtt = home.add_integration("mqtt", {"broker": broker.host, "port": broker.port})
        assert mqtt["type"] == "create_entry", f"MQTT integration: {mqtt}"
        added = home.add_integration("wyoming", {"host": "127.0.0.1", "port": wyoming.port})
        assert added["type"] == "create_entry", f"Wyoming integration: {added}"
        yield home
    finally:
        home.stop()


@pytest.fixture(scope="module")
def edge(hass: HomeAssistant, edge_config: Path, folder: Path) -> Iterator[EdgeOsRun]:
    """``edge-os run``, started once Home Assistant listens (a test may restart it)."""
    service = EdgeOsRun(edge_config, folder / "edge-os.log")
    yield service
    service.stop()


@pytest.fixture(scope="module")
def imported(edge: EdgeOsRun, hass: HomeAssistant) -> EdgeOsRun:
    """edge-os once it has imported both announced devices, and HA shows them."""
    wait_until(
        lambda: "registry: 1 declared + 2 imported entities" in edge.log_text(),
        30,
        f"edge-os to import the two announced devices (see {edge.log})",
    )
    wait_until(
        lambda: None not in (hass.state(KITCHEN_LIGHT), hass.state(PORCH_HEATER)),
        20,
        f"{KITCHEN_LIGHT} and {PORCH_HEATER} in HA",
    )
    return edge
