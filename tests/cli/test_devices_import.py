"""``edge-os devices import``: a Zigbee2MQTT dump and HA discovery on a real broker."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from edge_os.config.loader import load_config
from edge_os.drivers.mqtt.broker import EmbeddedBroker
from tests.conftest import EXAMPLE_HOME, REPO
from tests.drivers.test_discovery_import import Z2M_LIGHT, Z2M_TOPIC
from tests.mqtt_broker import Subscriber

DUMP = REPO / "tests" / "drivers" / "data" / "z2m-bridge-devices.json"


def _home(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "home.yaml"
    text = EXAMPLE_HOME.read_text(encoding="utf-8").replace(
        "paths: [../apps]", f"paths: [{REPO / 'apps'}]"
    )
    path.write_text(text + extra, encoding="utf-8")
    return path


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "edge_os", "-c", str(config), *args],
        cwd=REPO, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_a_zigbee2mqtt_dump_becomes_devices_in_the_file(tmp_path: Path) -> None:
    home = _home(tmp_path)
    before = home.read_text(encoding="utf-8")
    dry = _cli(home, "devices", "import", "--z2m", str(DUMP), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would add light.porch_light" in dry.stdout
    assert home.read_text(encoding="utf-8") == before
    done = _cli(home, "devices", "import", "--z2m", str(DUMP), "--area", "garden", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["added"] == [
        "light.porch_light",
        "binary_sensor.shed_door_sensor_contact",
        "sensor.shed_door_sensor_temperature",
        "switch.workshop_double_switch_left",
        "switch.workshop_double_switch_right",
        "lock.back_door_lock",
        "cover.study_blinds",
    ]
    assert {s["device"] for s in report["skipped"]} == {"0x0011223344556677", "old_bulb"}
    text = home.read_text(encoding="utf-8")
    assert text.startswith(before.split("\nentities:")[0])  # comments and order kept
    registry = load_config(home)
    lamp = next(e for e in registry.entities if e.id == "light.porch_light")
    assert lamp.area == "garden" and lamp.mqtt is not None
    assert lamp.mqtt.command_topic == "zigbee2mqtt/porch_light/set"
    right = next(e for e in registry.entities if e.id == "switch.workshop_double_switch_right")
    assert right.mqtt is not None and right.mqtt.state_key == "state_right"
    said = _cli(home, "say", "--dry-run", "--json", "turn on the workshop double switch left")
    actions = json.loads(said.stdout)["actions"]
    assert actions == [
        {"entity_id": "switch.workshop_double_switch_left", "action": "turn_on", "params": {}}
    ]
    again = _cli(home, "devices", "import", "--z2m", str(DUMP), "--json")
    assert json.loads(again.stdout)["added"] == []  # nothing twice


def test_bad_dumps_exit_2_with_one_line(tmp_path: Path) -> None:
    home = _home(tmp_path)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    for args in (
        ("--z2m", str(broken)),
        ("--z2m", str(deep)),
        ("--z2m", str(tmp_path / "missing.json")),
        ("--z2m", str(DUMP), "--area", "attic"),
    ):
        result = _cli(home, "devices", "import", *args)
        assert result.returncode == 2, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
    wrong_shape = tmp_path / "object.json"
    wrong_shape.write_text('{"devices": []}', encoding="utf-8")
    result = _cli(home, "devices", "import", "--z2m", str(wrong_shape), "--json")
    assert json.loads(result.stdout)["added"] == []


def test_discovery_on_the_broker_becomes_devices_in_the_file(tmp_path: Path) -> None:
    with EmbeddedBroker() as broker:
        home = _home(tmp_path, f"\nmqtt: {{host: {broker.host}, port: {broker.port}}}\n")
        announcer = Subscriber(broker, "nothing/here", client_id="zigbee2mqtt")
        try:
            announcer.publish(Z2M_TOPIC, json.dumps(Z2M_LIGHT), retain=True)
            own = "homeassistant/switch/edge_os_home/mute/config"  # edge-os's own: left out
            announcer.publish(own, json.dumps({"name": "Mute", "command_topic": "x/set"}), True)
            bad = "homeassistant/light/broken/config"
            announcer.publish(bad, "{not json", retain=True)
            done = _cli(home, "devices", "import", "--discovery", "--seconds", "1", "--json")
        finally:
            announcer.close()
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert len(report["added"]) == 1 and report["added"][0].startswith("light.")
    assert [s["device"] for s in report["skipped"]] == [bad]
    added = next(e for e in load_config(home).entities if e.id == report["added"][0])
    assert added.mqtt is not None and added.mqtt.command_topic is not None


def test_discovery_needs_a_broker_others_use(tmp_path: Path) -> None:
    result = _cli(_home(tmp_path), "devices", "import", "--discovery")
    assert result.returncode == 2 and "mqtt.host is null" in result.stderr
