"""`edge-os doctor`: one line per check in order, exit 1 exactly when something FAILs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edge_os.cli.main import main
from edge_os.drivers.mqtt.broker import EmbeddedBroker, free_port
from tests.conftest import EXAMPLE_HOME

ORDER = [
    "config", "models", "audio", "broker", "wake", "registry", "reader", "state_dir",
    "gpio", "resources", "service", "last_wake",
]  # fmt: skip


def example_home(tmp_path: Path, extra: str = "") -> Path:
    """The example home with its state in ``tmp_path`` (and ``extra`` YAML on top)."""
    path = tmp_path / "home.yaml"
    text = EXAMPLE_HOME.read_text(encoding="utf-8")
    path.write_text(f"state_dir: {tmp_path / 'state'}\n{extra}\n{text}", encoding="utf-8")
    return path


def doctor(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, dict[str, str]]]:
    code = main(["-c", str(path), "doctor", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert [check["name"] for check in report["checks"]] == ORDER
    assert report["ok"] == (code == 0)
    return code, {check["name"]: check for check in report["checks"]}


def test_example_home(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = example_home(tmp_path)
    code = main(["-c", str(path), "doctor"])
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ORDER
    statuses = [line.split()[0] for line in lines]
    assert set(statuses) <= {"OK", "WARN", "FAIL"}
    assert code == (1 if "FAIL" in statuses else 0)
    assert lines[0] == f"OK    config     {path}: valid (17 entities in 7 areas)"
    assert lines[3].startswith("OK    broker     mqtt.host is null: edge-os starts its own (")
    assert lines[5] == "OK    registry   17 entities"
    assert (
        lines[7] == f"OK    state_dir  {tmp_path / 'state'} writable (created at the first start)"
    )
    # nothing is built in a fresh state folder: the learned reader says how to build it
    assert lines[6].startswith("WARN  reader") and "edge-os models build embed" in lines[6]


def test_broker_reached_with_the_configured_settings(
    tmp_path: Path, mosquitto: EmbeddedBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = f"mqtt:\n  host: {mosquitto.host}\n  port: {mosquitto.port}\n"
    _, checks = doctor(example_home(tmp_path, extra), capsys)
    assert checks["broker"] == {
        "name": "broker",
        "status": "OK",
        "message": f"{mosquitto.host}:{mosquitto.port}: connected (MQTT 5), published, received",
    }


def test_unreachable_broker_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    port = free_port()
    code, checks = doctor(
        example_home(tmp_path, f"mqtt:\n  host: 127.0.0.1\n  port: {port}\n"), capsys
    )
    assert code == 1
    assert checks["broker"]["status"] == "FAIL"
    assert checks["broker"]["message"].startswith(f"cannot reach 127.0.0.1:{port}: ")
    assert "check mqtt.host/port" in checks["broker"]["message"]


def test_state_dir_that_cannot_be_made_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    path = example_home(tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            f"state_dir: {tmp_path / 'state'}", f"state_dir: {blocker / 'state'}"
        ),
        encoding="utf-8",
    )
    code, checks = doctor(path, capsys)
    assert code == 1
    assert checks["state_dir"]["status"] == "FAIL"
    assert "is not a folder" in checks["state_dir"]["message"]


def test_invalid_config_fails_and_skips_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("mqtt:\n  port: high\n", encoding="utf-8")
    code, checks = doctor(path, capsys)
    assert code == 1
    assert checks["config"]["status"] == "FAIL"
    assert checks["config"]["message"].startswith(
        f"{path}:2: mqtt.port: expected an integer, got 'high'"
    )
    assert {checks[name]["status"] for name in ORDER[1:]} == {"SKIP"}
