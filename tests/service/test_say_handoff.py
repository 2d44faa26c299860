"""``edge-os say`` hands its text to a running ``edge-os run`` over the local socket.

The real service in its own process, a real Mosquitto, the lock as a device in a process
of its own, and ``edge-os say`` as a user types it: the held unlock is confirmed by a later
``say yes`` (the service's own pending confirmation), a "yes" over MQTT confirms nothing,
and with the service gone ``say`` carries the command out itself.
"""

from __future__ import annotations

import json
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from edge_os.drivers.mqtt.broker import EmbeddedBroker
from edge_os.service.local import socket_path
from tests.conftest import REPO
from tests.drivers.fault_device import DeviceProcess
from tests.mqtt_broker import Subscriber
from tests.service.test_run_crash import EdgeOs, _config

LOCK = "zigbee2mqtt/front_door_lock/set"
LIGHT = "zigbee2mqtt/kitchen_ceiling/set"
COMMAND = "edge_os/home/command"


def _say(config: Path, *words: str) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [sys.executable, "-m", "edge_os", "-c", str(config), "say", *words, "--json"],
        cwd=REPO,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = json.loads(done.stdout) if done.stdout.strip() else {}
    return done.returncode, report, done.stderr


def test_say_goes_through_the_running_service_and_its_confirmation(tmp_path: Path) -> None:
    log = tmp_path / "edge-os.log"
    state = tmp_path / "state"
    with EmbeddedBroker() as broker:
        config = _config(tmp_path, broker)
        lock = DeviceProcess(broker, LOCK, "front-door")
        light = DeviceProcess(broker, LIGHT, "kitchen-light")
        phone = Subscriber(broker, "nothing/here", client_id="phone")
        edge = EdgeOs(config, state, log)
        try:
            path = socket_path(state)
            assert stat.S_IMODE(path.stat().st_mode) == 0o600

            code, report, _ = _say(config, "turn on the kitchen light")
            assert code == 0, report
            assert report["handled_by"] == "service"
            assert [o["status"] for o in report["outcomes"]] == ["done"]
            assert light.payloads() == ['{"state": "ON"}']

            code, report, _ = _say(config, "unlock the front door")
            assert report["handled_by"] == "service"
            assert [o["status"] for o in report["outcomes"]] == ["needs-confirmation"]
            phone.publish(COMMAND, "yes")  # the network's yes is not the typed one's
            time.sleep(1.0)
            assert lock.payloads() == []

            code, report, _ = _say(config, "yes")
            assert code == 0, report
            assert [(o["entity_id"], o["status"]) for o in report["outcomes"]] == [
                ("lock.front_door", "done")
            ]
            assert lock.payloads() == ['{"state": "UNLOCK"}']

            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as raw:  # garbage in
                raw.connect(str(path))
                raw.sendall(b"{" * 5000 + b"\n")
                assert b"error" in raw.recv(4096)
            code, report, _ = _say(config, "turn off the kitchen light")
            assert report["handled_by"] == "service" and code == 0
        finally:
            edge.stop()
        assert not socket_path(state).exists()
        code, report, _ = _say(config, "turn off the kitchen light")
        assert (code, report["handled_by"]) == (0, "this process")
        assert light.payloads()[-1] == '{"state": "OFF"}'
        phone.close()
        lock.close()
        light.close()
    assert "Traceback" not in log.read_text(encoding="utf-8")


def test_a_socket_left_by_a_killed_service_means_no_service(tmp_path: Path) -> None:
    """SIGKILL leaves the socket file: ``say`` finds nobody listening and does it itself."""
    log = tmp_path / "edge-os.log"
    state = tmp_path / "state"
    with EmbeddedBroker() as broker:
        config = _config(tmp_path, broker)
        light = DeviceProcess(broker, LIGHT, "kitchen-light")
        edge = EdgeOs(config, state, log)
        edge.kill()
        assert socket_path(state).exists()
        try:
            code, report, stderr = _say(config, "turn on the kitchen light")
            assert (code, report.get("handled_by")) == (0, "this process"), stderr
            assert light.payloads() == ['{"state": "ON"}']
            edge = EdgeOs(config, state, log)  # the next start takes the socket over
            code, report, _ = _say(config, "turn off the kitchen light")
            assert report["handled_by"] == "service"
        finally:
            edge.stop()
            light.close()
