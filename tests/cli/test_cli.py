"""The edge-os command as a user runs it: exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from edge_os import __version__
from edge_os.cli.main import main
from tests.conftest import EXAMPLE_HOME, REPO


def run_cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    """Run ``python -m edge_os`` in a real process, as the console script would."""
    return subprocess.run(
        [sys.executable, "-m", "edge_os", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=60,
    )


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"edge-os {__version__}"


def test_validate_example_home() -> None:
    result = run_cli("config", "validate", str(EXAMPLE_HOME))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{EXAMPLE_HOME}: OK (17 entities in 7 areas)"


def test_validate_broken_copy_is_one_line_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        EXAMPLE_HOME.read_text(encoding="utf-8").replace(
            "pin: 18, kind: PWMLED", "pin: 41, kind: PWMLED"
        ),
        encoding="utf-8",
    )
    result = run_cli("config", "validate", str(broken))
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"edge-os: error: {broken}:")
    assert lines[0].endswith(": entities[10].gpio.pin: 41 is not a GPIO pin (0-27)")
    assert "Traceback" not in result.stderr


def test_validate_json_verdict(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("mqtt:\n  port: high\n", encoding="utf-8")
    result = run_cli("config", "validate", "--json", str(broken))
    assert result.returncode == 2
    assert json.loads(result.stdout) == {
        "ok": False,
        "file": str(broken),
        "code": "config-invalid",
        "errors": [
            {"line": 2, "key_path": "mqtt.port", "message": "expected an integer, got 'high'"}
        ],
    }
    ok = run_cli("config", "validate", "--json", str(EXAMPLE_HOME))
    assert json.loads(ok.stdout) == {
        "ok": True,
        "file": str(EXAMPLE_HOME),
        "areas": 7,
        "entities": 17,
    }


def test_missing_config_file_named_by_env(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EDGE_OS_CONFIG", str(tmp_path / "absent.yaml"))
    assert main(["devices", "list"]) == 2
    assert (
        capsys.readouterr().err
        == f"edge-os: error: {tmp_path / 'absent.yaml'}: config file not found\n"
    )


def test_show_masks_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(
        "mqtt: {host: broker.lan, username: pi, password: hunter2}\n", encoding="utf-8"
    )
    assert main(["config", "show", "--json", str(config)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["mqtt"]["host"] == "broker.lan"
    assert shown["mqtt"]["password"] == "**********"
    assert main(["--config", str(config), "config", "show", "--show-secrets"]) == 0
    assert "password: hunter2" in capsys.readouterr().out


def test_devices_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(EXAMPLE_HOME), "devices", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert len(listed) == 17
    lock = next(item for item in listed if item["id"] == "lock.front_door")
    assert lock["domain"] == "lock"
    assert lock["actions"] == ["lock", "unlock"]
    assert lock["sensitive"] is True
    assert lock["transport"] == "mqtt"


def test_devices_list_filters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(EXAMPLE_HOME), "devices", "list", "--area", "office"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["ENTITY", "NAME", "AREA", "ACTIONS", "TRANSPORT"]
    assert [line.split()[0] for line in out[1:]] == ["light.desk_led", "switch.office_heater"]
    assert (
        main(["--config", str(EXAMPLE_HOME), "devices", "list", "--json", "--domain", "lock"]) == 0
    )
    assert [item["id"] for item in json.loads(capsys.readouterr().out)] == ["lock.front_door"]


def test_python_dash_m_help_lists_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    commands = ("bench", "config", "devices", "eval", "listen", "models", "run", "say", "speak")
    for command in (*commands, "status", "systemd"):
        assert command in result.stdout


@pytest.mark.parametrize("kind", ["wake", "stt", "intents"])
def test_eval_kinds_are_wired(kind: str) -> None:
    from edge_os.cli.eval_cmd import load_evaluate

    assert callable(load_evaluate(kind))
